// The daemon's own host facts, used to refill host-derived headers a probe
// left empty or unusable (enrich.ts). Read the way the C library does
// (libtelemetry readHostFacts) under the configured host_root.
import type { TelemetryConfig } from '@telemetrics/libtelemetry/config';
import { readHostFacts } from '@telemetrics/libtelemetry';
import type { HeaderName } from '@telemetrics/libtelemetry/wire';

/**
 * Headers the C library derives from the host (spec 3.1/3.2), so the daemon
 * can supply them when a probe sent them empty or with control characters.
 * Probe-chosen headers (classification, severity, timestamps, versions,
 * event_id) are never invented: a bad one rejects the record.
 */
export const HOST_DERIVED_HEADERS = [
  'arch',
  'host_type',
  'build',
  'kernel_version',
  'system_name',
  'board_name',
  'cpu_model',
  'bios_version',
] as const satisfies readonly HeaderName[];

export type HostDerivedHeader = (typeof HOST_DERIVED_HEADERS)[number];
export type HostFacts = { readonly [K in HostDerivedHeader]?: string | undefined };

export async function readDaemonHostFacts(config: TelemetryConfig): Promise<HostFacts> {
  return readHostFacts({ root: config.host_root });
}
