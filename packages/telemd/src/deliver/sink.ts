// The narrow interface every delivery target implements (HTTP today; tests may
// plug in others). A Sink never throws for a delivery failure: it classifies it.
import type { TelemRecord } from '../record.ts';

export type DeliveryOutcome =
  | { readonly kind: 'delivered'; readonly status: number }
  | {
      readonly kind: 'retryable';
      readonly reason: string;
      readonly status?: number;
      readonly retryAfterMs?: number;
    }
  | { readonly kind: 'permanent'; readonly reason: string; readonly status: number };

export interface Sink {
  deliver(record: TelemRecord, signal?: AbortSignal): Promise<DeliveryOutcome>;
  close(): Promise<void>;
}
