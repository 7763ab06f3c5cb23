// A telemd config for tests, rooted in a temp dir. Test-only (*.fixtures.ts is not built); it
// lives here so unit tests need nothing from test/helpers, which re-exports it for test/e2e.
import path from 'node:path';
import { DEFAULT_CONFIG, type TelemetryConfig } from '@telemetrics/libtelemetry/config';

/** A config rooted in `dir`: socket, state and logs there; recycling off unless asked. */
export function testConfig(dir: string, overrides: Partial<TelemetryConfig> = {}): TelemetryConfig {
  return {
    ...DEFAULT_CONFIG,
    socket_path: path.join(dir, 'telem-0'),
    spool_dir: path.join(dir, 'spool'),
    opt_in_file: path.join(dir, 'opt-in'),
    static_machine_id_file: path.join(dir, 'static-machine-id'),
    machine_id_file: path.join(dir, 'machine_id'),
    journal_file: path.join(dir, 'journal'),
    record_retention_dir: path.join(dir, 'records'),
    status_file: path.join(dir, 'telemd-status.json'),
    crash_dir: path.join(dir, 'crash'),
    daemon_recycling_enabled: false,
    ...overrides,
  };
}
