// The narrow interface every delivery target implements (HTTP today; tests may
// plug in others). A Sink never throws for a delivery failure: it classifies it.
import type { TelemRecord } from '../record.ts';

/**
 * Deliveries one party keeps running at once: a drain pass (spool/drain.ts), and the direct
 * first attempts of live records (spool/spool-pipeline.ts). Both share one connection pool per
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

export interface Sink {
  deliver(record: TelemRecord, signal?: AbortSignal): Promise<DeliveryOutcome>;
  close(): Promise<void>;
}
