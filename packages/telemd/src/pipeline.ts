// The seam between intake and durability. telemd hands every accepted record
// to a Pipeline; accept() resolves once the pipeline has done what it promises
// (here: one delivery attempt; for the spool pipeline: the record is on disk),
// to undefined when the record is kept, or to the Refusal the probe is told.
import type { Logger } from '@telemetrics/libtelemetry/log';
import type { RefusalCode } from '@telemetrics/libtelemetry/wire';
import type { DeliveryOutcome, Sink } from './deliver/sink.ts';
import { Channels, type Counters, createCounters, publish } from './metrics.ts';
import type { TelemRecord } from './record.ts';

/** Why a record was not kept: the probe's SDK rejects with `code` (wire/ack.ts). */
export interface Refusal {
  readonly code: RefusalCode;
  readonly detail: string;
}

export interface Pipeline {
  /**
   * Nothing (undefined): kept (durable, delivered, or kept local as configured); else why not.
   * `void` so that a pipeline that never refuses (a test double) is one too.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: void is "kept", see above
  accept(record: TelemRecord): Promise<Refusal | void>;
  close(): Promise<void>;
  /** Optional: false while work is queued or spooled, which postpones the idle exit. */
  isIdle?(): boolean;
  /**
   * Optional: settles once the pipeline can keep records. A rejection (a coded error, e.g.
   * TELEMD_SPOOL_DIR) means it never will: the daemon refuses to start, a reload is refused.
   */
  readonly ready?: Promise<void>;
  /** Optional: what became of the records so far, as `key=value` fields for the exit summary. */
  summary?(): PipelineSummary;
}

/** Counts in the order they are logged. */
export type PipelineSummary = Readonly<Record<string, number>>;

export interface DirectPipelineOptions {
  readonly sink: Sink;
  readonly logger: Logger;
  /** record_server_delivery_enabled: false keeps records local (nothing is posted). */
  readonly deliveryEnabled: boolean;
  readonly counters?: Counters;
}

function describe(outcome: DeliveryOutcome): string {
  return outcome.kind === 'delivered' ? `HTTP ${outcome.status}` : outcome.reason;
}

/**
 * Delivers immediately and logs, at err, every record it could not deliver.
 * Not durable: a record that fails here is lost after the log line. The spool
 * pipeline replaces this one.
 */
export function createDirectPipeline(options: DirectPipelineOptions): Pipeline {
  const { sink, logger, deliveryEnabled } = options;
  const counters = options.counters ?? createCounters();
  const inFlight = new Set<Promise<void>>();
  let closed = false;

  async function handle(record: TelemRecord): Promise<void> {
    const fields = {
      classification: record.headers.classification,
      event_id: record.headers.event_id,
    };
    if (!deliveryEnabled) {
      counters.kept++;
      logger.log('info', 'record kept local: server delivery disabled', fields);
      publish(Channels.kept, { record });
      return;
    }
    let outcome: DeliveryOutcome;
    try {
      outcome = await sink.deliver(record);
    } catch (error) {
      // A Sink should classify, not throw; treat a throw as retryable so it is logged, not lost silently.
      outcome = { kind: 'retryable', reason: `sink threw: ${(error as Error).message}` };
    }
    if (outcome.kind === 'delivered') {
      counters.delivered++;
      logger.log('debug', 'record delivered', { ...fields, status: outcome.status });
      publish(Channels.delivered, { record, status: outcome.status });
      return;
    }
    counters.failed++;
    logger.log('err', 'record not delivered (no spool yet: it is dropped)', {
      ...fields,
      outcome: outcome.kind,
      reason: describe(outcome),
      status: outcome.status,
      retry_after_ms: outcome.kind === 'retryable' ? outcome.retryAfterMs : undefined,
    });
    publish(Channels.failed, { record, outcome });
  }

  return {
    accept(record) {
      if (closed) {
        logger.log('err', 'record arrived after the pipeline closed; dropped', {
          classification: record.headers.classification,
          event_id: record.headers.event_id,
        });
        counters.failed++;
        return Promise.resolve(undefined);
      }
      const p = handle(record).finally(() => inFlight.delete(p));
      inFlight.add(p);
      return p.then(() => undefined);
    },
    async close() {
      closed = true;
      await Promise.allSettled([...inFlight]);
    },
    summary: () => ({ delivered: counters.delivered, failed: counters.failed, kept: counters.kept }),
  };
}
