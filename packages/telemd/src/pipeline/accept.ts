// The durable pipeline: write-ahead, then deliver, then unlink.
//
// accept() resolves once the record is in the spool durably (file fsynced,
// directory fsynced). Only then is the first delivery attempt started, in
// the background (intake never waits for HTTP). So a record telemd has read
// survives kill -9 at any point after accept() resolved: before delivery it
// is a spool file; after a 2xx but before unlink it is delivered again at
// the next start (a counted duplicate, at-least-once; C has the same window,
// BUG-34). Compared to "deliver first, spool on failure" this costs one
// fsync pair per record (grouped under load) and closes the window in which
// C lost records (OTel Collector #12711).
//
// Records that cannot be persisted (spool_max_size reached, ENOSPC, EIO) get
// one direct in-memory attempt (none while delivery backs off); if that does
// not deliver they are dropped with a log line and a counter (spool_full /
// spool_io). Nothing is dropped silently, and the probe is told: accept()
// resolves to the Refusal its SDK rejects with (TELEM_SPOOL_FULL,
// TELEM_DISK_FULL, TELEM_SPOOL_IO; TELEM_RATE_LIMITED for strategy drop, whose
// limit is taken before the write so a refused record is never written).
import type { Logger } from '@telemetrics/libtelemetry/log';
import { createInFlight } from '../in-flight.ts';
import { streakLogDue } from '../observe/log-budget.ts';
import { spoolFileSize } from '@telemetrics/libtelemetry/wire';
import { DELIVERY_IN_FLIGHT, type Sink } from '../deliver/sink.ts';
import type { Limiter } from './limiter.ts';
import type { RecordFateJournal } from './journal-hook.ts';
import type { Metrics } from '../observe/metrics.ts';
import type { Pipeline, Refusal } from './pipeline.ts';
import type { LimitReservation } from './limiter.ts';
import type { TelemRecord } from '../record.ts';
import type { Drainer } from './drain.ts';
import type { Quarantine } from './quarantine.ts';
import { dropRateLimited, rejectPermanently } from './fates.ts';
import type { SpoolEntry, SpoolStore } from '../spool/store.ts';

/** Direct first attempts running at once; beyond that records wait for the drainer (deliver/sink.ts). */
export const MAX_DIRECT_IN_FLIGHT = DELIVERY_IN_FLIGHT;

export interface SpoolPipelineOptions {
  readonly store: SpoolStore;
  readonly sink: Sink;
  readonly limiter: Limiter;
  readonly drainer: Drainer;
  readonly quarantine: Quarantine;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly deliveryEnabled: boolean;
  readonly strategy: 'spool' | 'drop';
  readonly maxInFlight?: number;
  /** Journals the records given up on here (pipeline/journal-hook.ts). */
  readonly journal?: RecordFateJournal | undefined;
}

export interface SpoolPipeline extends Pipeline {
  /** No attempt running and nothing spooled: the daemon may exit when idle (daemon.ts asks). */
  isIdle(): boolean;
  /** Resolves when every background attempt started so far has finished (tests). */
  idle(): Promise<void>;
}

export function createSpoolPipeline(options: SpoolPipelineOptions): SpoolPipeline {
  const { store, sink, limiter, drainer, logger, metrics } = options;
  const maxInFlight = options.maxInFlight ?? MAX_DIRECT_IN_FLIGHT;
  const inFlight = createInFlight();
  const abort = new AbortController();
  let closed = false;
  let writeFailures = 0;

  function track(p: Promise<void>): void {
    void inFlight.track(
      p.catch((err: Error) =>
        logger.log('err', 'delivery attempt failed unexpectedly', { detail: err.message }),
      ),
    );
  }

  function keep(record: TelemRecord, entry: SpoolEntry, why: string): void {
    metrics.inc('spooled', { record, name: entry.name, why });
  }

  async function firstAttempt(
    record: TelemRecord,
    entry: SpoolEntry,
    reserved: LimitReservation | undefined,
  ): Promise<void> {
    try {
      const verdict = reserved ? { ok: true as const, reservation: reserved } : limiter.acquire(entry.bytes);
      if (!verdict.ok) {
        if (options.strategy === 'drop') {
          await dropRateLimited(options, entry.name, record, verdict.limit);
        } else {
          keep(record, entry, 'rate_limited');
        }
        return;
      }
      const outcome = await sink.deliver(record, abort.signal);
      if (outcome.kind !== 'delivered') limiter.refund(verdict.reservation);
      if (outcome.kind === 'delivered') {
        await store.remove(entry.name);
        metrics.inc('delivered', { record, name: entry.name, status: outcome.status, from: 'direct' });
        drainer.reportSuccess();
      } else if (outcome.kind === 'permanent') {
        await rejectPermanently(options, entry.name, record, outcome);
      } else {
        keep(record, entry, 'retryable');
        drainer.reportFailure(outcome);
      }
    } finally {
      store.release(entry.name);
    }
  }

  /** Resolves to true when the record was delivered, else it was dropped (logged, counted). */
  async function unspooledAttempt(
    record: TelemRecord,
    reason: 'spool_full' | 'spool_io',
    detail: string,
  ): Promise<boolean> {
    const bytes = spoolFileSize(record);
    const verdict = drainer.backingOff ? undefined : limiter.acquire(bytes);
    if (verdict?.ok) {
      const outcome = await sink.deliver(record, abort.signal);
      if (outcome.kind !== 'delivered') limiter.refund(verdict.reservation);
      if (outcome.kind === 'delivered') {
        metrics.inc('delivered', { record, status: outcome.status, from: 'unspooled' });
        drainer.reportSuccess();
        return true;
      }
      if (outcome.kind === 'retryable') drainer.reportFailure(outcome);
      detail += `; direct attempt: ${outcome.reason}`;
    }
    metrics.dropped(reason, {
      classification: record.headers.classification,
      event_id: record.headers.event_id,
    });
    void options.journal?.recordDropped(record, reason);
    logger.log('warning', 'record dropped: cannot be spooled and was not delivered', {
      reason,
      classification: record.headers.classification,
      event_id: record.headers.event_id,
      detail,
    });
    return false;
  }

  function refusalFor(put: { reason: 'full' | 'io'; code?: string; detail: string }): Refusal {
    if (put.reason === 'full') return { code: 'TELEM_SPOOL_FULL', detail: put.detail };
    if (put.code === 'ENOSPC' || put.code === 'EDQUOT')
      return { code: 'TELEM_DISK_FULL', detail: put.detail };
    return { code: 'TELEM_SPOOL_IO', detail: `${put.code ?? 'EIO'}: ${put.detail}` };
  }

  /** strategy drop: take the rate limit before writing, so a record over it is refused unwritten. */
  function reserveForDrop(record: TelemRecord): LimitReservation | Refusal | undefined {
    if (options.strategy !== 'drop' || !limiter.enabled) return undefined;
    const verdict = limiter.acquire(spoolFileSize(record));
    if (verdict.ok) return verdict.reservation;
    metrics.dropped('rate_limited', { classification: record.headers.classification, limit: verdict.limit });
    void options.journal?.recordDropped(record, 'rate_limited');
    logger.log('notice', 'record dropped by rate limit before it was written; the probe is told', {
      classification: record.headers.classification,
      limit: verdict.limit,
    });
    return { code: 'TELEM_RATE_LIMITED', detail: `${verdict.limit} limit reached` };
  }

  return {
    async accept(record) {
      metrics.inc('accepted', { classification: record.headers.classification });
      if (!options.deliveryEnabled) {
        // C deletes such records after journalling them (spec 6.3 step 5); nothing to spool.
        metrics.dropped('delivery_disabled', { classification: record.headers.classification });
        return undefined;
      }
      const reserved = reserveForDrop(record);
      if (reserved !== undefined && 'code' in reserved) return reserved;
      const put = await store.put(record, { lease: true });
      if (!put.ok) {
        if (reserved) limiter.refund(reserved);
        if (put.reason === 'io') {
          // One line per streak (then every 100th): each dropped record has its own line anyway.
          writeFailures++;
          if (streakLogDue(writeFailures, 100)) {
            logger.log('err', 'cannot write spool file', {
              path: store.dir,
              code: put.code,
              detail: put.detail,
              failures: writeFailures,
            });
          }
        }
        const reason = put.reason === 'full' ? 'spool_full' : 'spool_io';
        if (closed) {
          metrics.dropped(reason);
          void options.journal?.recordDropped(record, reason);
          return refusalFor(put);
        }
        // The probe waits for this attempt: delivered is as good as durable (none while backing off).
        const attempt = unspooledAttempt(record, reason, put.detail);
        track(attempt.then(() => {}));
        return (await attempt) ? undefined : refusalFor(put);
      }
      if (writeFailures > 0) {
        logger.log('notice', 'spool writable again', { path: store.dir, failures: writeFailures });
        writeFailures = 0;
      }
      const entry = put.entry;
      if (closed || drainer.backingOff || inFlight.size >= maxInFlight) {
        if (reserved) limiter.refund(reserved);
        store.release(entry.name);
        keep(record, entry, closed ? 'closing' : drainer.backingOff ? 'backoff' : 'busy');
        drainer.kick();
        return undefined;
      }
      track(firstAttempt(record, entry, reserved));
      return undefined;
    },

    isIdle() {
      return inFlight.size === 0 && store.files === 0;
    },

    async idle() {
      await inFlight.settled();
    },

    async close() {
      if (closed) return;
      closed = true;
      // In-flight attempts finish (their records are spooled either way); abort only on destroy.
      await this.idle();
    },
  };
}
