// Host facts and actions shared by the service verbs: is systemd running,
// run systemctl for a list of units (C for_each_service(), spec 11.1).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { CommandContext } from './command.ts';

/** Started by `start`; stopped first by `stop` (C SPECIAL_UNITS). */
export const SPECIAL_UNITS = ['hprobe.timer', 'telemd.socket', 'telemd.path'] as const;
/** Stopped after the special units (C SERVICES). */
export const SERVICES = ['hprobe.service', 'telemd.service'] as const;
/** The units `is-active` reports: intake (socket) and spool drain trigger (path). */
export const ACTIVE_UNITS = ['telemd.socket', 'telemd.path'] as const;

export const TMPFILES_CONF = '/usr/lib/tmpfiles.d/telemetrics-dirs.conf';
export const SYSTEMD_RUNTIME_DIR = '/run/systemd/system';

export function hostPath(ctx: CommandContext, absolute: string): string {
  return path.join(ctx.root, absolute);
}

/** sd_booted(): systemd is PID 1 when /run/systemd/system is a directory. */
export async function systemdRunning(ctx: CommandContext): Promise<boolean> {
  try {
    return (await fsp.stat(hostPath(ctx, SYSTEMD_RUNTIME_DIR))).isDirectory();
  } catch {
    return false;
  }
}

/** The clear refusal of the service verbs when there is no systemd to ask. */
export function noSystemd(ctx: CommandContext, what: string): number {
  ctx.err(
    `${ctx.argv0}: cannot ${what}: systemd is not running as PID 1 (no ${SYSTEMD_RUNTIME_DIR}).\n` +
      'Run telemd under your init system or by hand; see telemd --help.\n',
  );
  return 1;
}

/**
 * `systemctl <verb> <unit>` for each unit. Like C, a unit fails when systemctl
 * exits non-zero or prints anything; its output is shown and we continue.
 * Returns 0 when all succeeded, else 1.
 */
export async function forEachUnit(
  ctx: CommandContext,
  verb: string,
  units: readonly string[],
): Promise<number> {
  let status = 0;
  for (const unit of units) {
    const r = await ctx.exec('systemctl', [verb, unit]);
    const output = r.stdout + r.stderr;
    if (r.code !== 0 || output !== '') {
      ctx.err(
        `${output}${output === '' || output.endsWith('\n') ? '' : '\n'}Failed to ${verb} ${unit}. Continuing...\n`,
      );
      status = 1;
    }
  }
  return status;
}

export function requireRoot(getuid: () => number, err: (text: string) => void): number {
  if (getuid() === 0) return 0;
  err('Must be root to run this command. Exiting...\n');
  return 1;
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fsp.lstat(file);
    return true;
  } catch {
    return false;
  }
}
