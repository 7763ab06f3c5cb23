import type { TelemRecord } from '../record.ts';

export type DeliveryOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retryable'; reason: string; status?: number; retryAfterMs?: number }
  | { kind: 'permanent'; reason: string; status: number };

export interface Sink {
  deliver(record: TelemRecord, signal?: AbortSignal): Promise<DeliveryOutcome>;
  close(): Promise<void>;
}
