// Classification sets the views share (spec section 8.1 and 7).
import { BACKTRACE_CLASSES } from '../../crash/index.ts';

export { BACKTRACE_CLASSES };

export const CRASH_CLASSES = [
  ...BACKTRACE_CLASSES,
  'org.clearlinux/crash/unknown',
  'org.clearlinux/crash/clr-build',
  'org.clearlinux/crash/error',
] as const;

export const MCE_CLASSES = [
  'org.clearlinux/mce/corrected',
  'org.clearlinux/mce/SRAO',
  'org.clearlinux/mce/SRAR',
  'org.clearlinux/mce/UCNA',
] as const;

export const THERMAL_CLASS = 'org.clearlinux/mce/thermal';
export const HEARTBEAT_CLASS = 'org.clearlinux/heartbeat/ping';
export const UPDATE_CLASS = 'org.clearlinux/swupd-client/update';
export const CLEAR_OS = 'clear-linux-os';
