import type { RecordHeaders } from '@telemetrics/libtelemetry/wire';

export interface TelemRecord {
  readonly headers: RecordHeaders;
  readonly payload: Buffer /* exact probe payload */;
  readonly cfgPath?: string | undefined;
}
