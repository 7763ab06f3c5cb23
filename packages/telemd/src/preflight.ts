// What would make telemd refuse to start, checked before its socket listens (main.ts). Once it
// listens, probes hand records over; a daemon that refused to start after that would lose them.
// Kept small: main.ts loads this before the rest of the daemon (the two-stage start).
import type { TelemetryConfig } from '@telemetrics/libtelemetry/config';
import { checkLimiterConfig } from './pipeline/limiter.ts';
import { ensureSpoolDir } from './spool/spool-dir.ts';

/** Throws TELEM_CONFIG_VALUE (rate-limit windows) or TELEMD_SPOOL_DIR (creates the spool directory when missing). */
export function preflight(config: TelemetryConfig): void {
  checkLimiterConfig(config);
  ensureSpoolDir(config.spool_dir);
}
