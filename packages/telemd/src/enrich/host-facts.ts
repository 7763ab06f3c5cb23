// The daemon's own host facts, used to refill host-derived headers a probe
// left empty or unusable (validate.ts). Read the way the C library does
// (libtelemetry readHostFacts) under the configured host_root.
import type { TelemetryConfig } from '@telemetrics/libtelemetry/config';
import { readHostFacts } from '@telemetrics/libtelemetry';
import type { HostFacts } from '../intake/validate.ts';

export async function readDaemonHostFacts(config: TelemetryConfig): Promise<HostFacts> {
  return readHostFacts({ root: config.host_root });
}
