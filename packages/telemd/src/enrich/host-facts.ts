// The daemon's own host facts, used to refill host-derived headers a probe
// left empty or unusable (validate.ts). Minimal until libtelemetry's
// readHostFacts lands: uname-derived values only.
import os from 'node:os';
import type { HostFacts } from '../intake/validate.ts';

export async function readDaemonHostFacts(): Promise<HostFacts> {
  return { arch: os.machine(), kernel_version: os.release() };
}
