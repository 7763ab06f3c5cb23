// The record as it travels inside telemd: validated V4 headers (machine_id
// already the daemon's), the probe's payload and the optional per-record
// config path from the frame's CFG: block.
import type { RecordHeaders } from '@telemetrics/libtelemetry/wire';

export interface TelemRecord {
  readonly headers: RecordHeaders;
  /** Exactly the probe's payload: no extra `\n` (C adds one at staging, BUG-18). */
  readonly payload: Buffer;
  /** Absolute path from the frame's CFG: block, if the probe sent one. */
  readonly cfgPath?: string | undefined;
}
