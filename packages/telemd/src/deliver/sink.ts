// The narrow interface every delivery target implements (HTTP today; tests may
// plug in others). A Sink never throws for a delivery failure: it classifies it.
import type { TelemRecord } from '../record.ts';

/**
 * Deliveries one party keeps running at once: a drain pass (pipeline/drain.ts), and the direct
 * first attempts of live records (pipeline/accept.ts). Both share one connection pool per
 * collector (deliver/http.ts): at most `delivery_connections` (default 4) requests are on the
 * wire, the rest wait in the pool (POSTs are never pipelined) and go out the moment a
 * connection's answer arrives, with no turn of our event loop in between.
 * Why 8: twice the default connection count, so every connection has its next request ready,
 * and an operator may raise delivery_connections to 8 and have it used. Past 4 a drain on
 * loopback is CPU-bound (bench b.delivery: 4, 8 and 16 within noise), so more buys nothing
 * and would only hold more records in memory and waste more attempts when the collector
 * fails mid-pass (those in flight finish; none new start).
 */
export const DELIVERY_IN_FLIGHT = 8;

export type DeliveryOutcome =
  | { readonly kind: 'delivered'; readonly status: number }
  | {
      readonly kind: 'retryable';
      readonly reason: string;
      readonly status?: number;
      readonly retryAfterMs?: number;
      /** The server's configuration is wrong (404 on server=), not the record or the network. */
      readonly configFault?: true;
    }
  | { readonly kind: 'permanent'; readonly reason: string; readonly status: number };

/** One record of a batch; `id` names it in the answer (the spool file name). */
export interface BatchItem {
  readonly id: string;
  readonly record: TelemRecord;
}

/** How many records one batch request may carry (the bytes bound is the sink's to keep). */
export interface BatchLimit {
  readonly records: number;
}

export interface Sink {
  deliver(record: TelemRecord, signal?: AbortSignal): Promise<DeliveryOutcome>;
  /**
   * Whether `record` may go in a batch now, and how many per request: undefined (or no such
   * method) means one record per POST, the only thing a legacy collector understands.
   */
  batchLimit?(record: TelemRecord): BatchLimit | undefined;
  /**
   * Deliver records batchLimit() admitted, several per request: one outcome per item, in
   * order. `delivered` only for those the answer names as stored.
   */
  deliverBatch?(items: readonly BatchItem[], signal?: AbortSignal): Promise<DeliveryOutcome[]>;
  /** Optional: false while the sink holds records of its own (the OTLP outbox); postpones the idle exit. */
  isIdle?(): boolean;
  close(): Promise<void>;
}
