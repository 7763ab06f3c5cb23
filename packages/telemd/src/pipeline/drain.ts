// The retry loop: delivers spooled records oldest first through the Sink.
//
// - delivered -> unlink; retryable -> stop the pass and back off (full
//   jitter, Retry-After honoured, backoff.ts); permanent (4xx but 408/429)
//   -> quarantine with the answer; expired (record_expiry, by mtime) ->
//   unlink, log, count, journal as dropped; unreadable/foreign/non-regular
//   -> quarantine.
// - Up to `maxInFlight` deliveries run at once (DELIVERY_IN_FLIGHT, sink.ts),
//   started in listing order. The first retryable failure stops the pass:
//   none new start, those in flight finish, one backoff. After a backoff the
//   first send goes alone; its success opens the window.
// - While backing off nothing is sent (a dead server is not hammered) and
//   intake is never blocked: the pipeline only writes files.
// - Any success after failures ("server came back") starts a pass at once.
// - When idle, a pass runs every `processTimeMs` (spool_process_time), so
//   files dropped in by others (a C telemprobd) are picked up too.
// - Rate limits apply here as well (C's spool loop bypassed them, BUG-24):
//   with strategy spool a refused record waits for the window to move.
// - Per pass at most `maxPerPass` entries are examined (C: 60 examined / 50
//   sent); then the next pass is queued immediately, so a big backlog drains
//   at full speed without starving the event loop.
// - Batched delivery: records the sink admits (sink.batchLimit(), once the
//   collector advertised its batch endpoint) are collected into requests of up
//   to its max-records; each record's own entry in the answer decides its file
//   (docs/delivery.md). A pass then examines up to BATCHES_PER_PASS batches.
// - The next wake-up is the earliest one asked for (schedule()).
import type { Logger } from '@telemetrics/libtelemetry/log';
import { type BackoffPolicy, backoffDelayMs, DEFAULT_BACKOFF } from '../deliver/backoff.ts';
import { DELIVERY_IN_FLIGHT, type DeliveryOutcome, type Sink } from '../deliver/sink.ts';
import type { Limiter, LimitReservation } from './limiter.ts';
import type { RecordFateJournal } from './journal-hook.ts';
import type { Metrics } from '../observe/metrics.ts';
import type { TelemRecord } from '../record.ts';
import { type Quarantine, quarantineEntry } from './quarantine.ts';
import { dropRateLimited, rejectPermanently } from './fates.ts';
import type { SpoolEntry, SpoolStore } from '../spool/store.ts';
import { monotonicMs } from '../observe/clock.ts';

export const DEFAULT_MAX_PER_PASS = 500;
/** With batched delivery a pass examines up to this many batches' worth of records. */
export const BATCHES_PER_PASS = 4;

/** A record handed to a request: its file (leased), the record, its rate-limit budget. */
interface Handed {
  readonly entry: SpoolEntry;
  readonly record: TelemRecord;
  readonly reservation: LimitReservation;
}
/** A foreign writer (C telemprobd writes in place, BUG-12) may still be writing a young file. */
export const UNPARSABLE_GRACE_MS = 60_000;

export interface DrainerOptions {
  readonly store: SpoolStore;
  readonly quarantine: Quarantine;
  readonly sink: Sink;
  readonly limiter: Limiter;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly strategy: 'spool' | 'drop';
  readonly deliveryEnabled: boolean;
  /** Journals what happens to records read back from the spool (kept local, dropped, quarantined). */
  readonly journal?: RecordFateJournal | undefined;
  /** Minutes; -1 never. */
  readonly recordExpiryMinutes: number;
  readonly processTimeMs: number;
  readonly random?: () => number;
  readonly wallNow?: () => number;
  readonly monotonicNow?: () => number;
  readonly maxPerPass?: number;
  /** Deliveries one pass keeps running at once (default DELIVERY_IN_FLIGHT). */
  readonly maxInFlight?: number;
  readonly backoff?: BackoffPolicy;
}

export interface PassResult {
  readonly delivered: number;
  readonly examined: number;
  readonly stoppedBy: 'done' | 'retryable' | 'rate-limited' | 'pass-limit' | 'closed' | 'backoff';
}

export interface Drainer {
  start(): void;
  /** Ask for a pass soon (ignored while backing off). */
  kick(): void;
  /** Run one pass now (tests, and the timer). Concurrent calls share one pass. */
  runPass(): Promise<PassResult>;
  /** The pipeline's direct attempt failed: back off. */
  reportFailure(outcome: Extract<DeliveryOutcome, { kind: 'retryable' }>): void;
  /** A delivery succeeded: if we were backing off, the server is back: drain now. */
  reportSuccess(): void;
  readonly backingOff: boolean;
  readonly failures: number;
  /** Wait for the current pass, stop timers. Idempotent. */
  close(): Promise<void>;
}

export function createDrainer(options: DrainerOptions): Drainer {
  const { store, sink, limiter, metrics, logger } = options;
  const random = options.random ?? Math.random;
  const wallNow = options.wallNow ?? Date.now;
  const monotonicNow = options.monotonicNow ?? monotonicMs;
  const maxPerPass = options.maxPerPass ?? DEFAULT_MAX_PER_PASS;
  const maxInFlight = Math.max(1, options.maxInFlight ?? DELIVERY_IN_FLIGHT);
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<PassResult> | undefined;
  let again = false;
  let failures = 0;
  let backoffUntil = 0;
  let started = false;
  let closed = false;
  let failureLogged = 0;
  let backlog: SpoolEntry[] | undefined;
  // Entries that could neither be read nor moved away (EACCES, EPERM, EIO): logged once,
  // then skipped until restart, so they cost no log line and no syscall per pass.
  const stuck = new Set<string>();

  let timerDue = Infinity;

  /**
   * Wake up for a pass in `ms`, unless a wake-up is already due sooner: the earliest wins. A
   * pass that finds itself too early (backing off) schedules the rest. Letting the last call win
   * was the stall of issue 15: a pass ending "done" re-armed the timer for spool_process_time
   * (>= 120 s) over the backoff retry a failed direct attempt had just asked for.
   */
  function schedule(ms: number): void {
    if (closed || !started) return;
    const delay = Math.max(0, Math.min(ms, 2 ** 31 - 1));
    const due = monotonicNow() + delay;
    if (timer && timerDue <= due) return;
    if (timer) clearTimeout(timer);
    timerDue = due;
    timer = setTimeout(() => {
      timer = undefined;
      timerDue = Infinity;
      void d.runPass();
    }, delay);
  }

  function noteFailure(outcome: Extract<DeliveryOutcome, { kind: 'retryable' }>): void {
    metrics.deliveryError({ status: outcome.status, message: outcome.reason });
    // Attempts in flight together fail together: one that fails while we already back off
    // shares that backoff instead of doubling it (8 timeouts at once made a 5 s step 640 s).
    if (failures > 0 && monotonicNow() < backoffUntil) return;
    failures++;
    const delay = backoffDelayMs(failures, random, outcome.retryAfterMs, options.backoff ?? DEFAULT_BACKOFF);
    backoffUntil = monotonicNow() + delay;
    // One line per streak, then every 10th, so a long outage does not flood the journal.
    if (failures === 1 || failures - failureLogged >= 10) {
      failureLogged = failures;
      logger.log('warning', 'delivery failed, records stay in the spool', {
        reason: outcome.reason,
        status: outcome.status,
        failures,
        retry_in_ms: delay,
      });
    }
    schedule(delay);
  }

  function expired(mtimeMs: number): boolean {
    if (options.recordExpiryMinutes < 0) return false;
    return wallNow() - mtimeMs > options.recordExpiryMinutes * 60_000;
  }

  /**
   * record_expiry: deleted unsent. The record is read first so the `.dropped` journal names
   * it; a file that cannot be read or parsed is deleted all the same, with its log line.
   */
  async function dropExpired(entry: SpoolEntry): Promise<void> {
    const read = await store.read(entry.name);
    if (!read.ok && read.kind === 'gone') return;
    await store.remove(entry.name);
    metrics.inc('expired', { name: entry.name });
    if (read.ok) void options.journal?.recordDropped(read.record, 'expired');
    logger.log('notice', 'spooled record expired, deleted unsent', {
      name: entry.name,
      record_expiry_min: options.recordExpiryMinutes,
      ...(read.ok ? {} : { unreadable: read.detail }),
    });
  }

  async function pass(): Promise<PassResult> {
    let delivered = 0;
    let examined = 0;
    if (failures > 0 && monotonicNow() < backoffUntil) {
      return { delivered, examined, stoppedBy: 'backoff' };
    }
    // A pass cut short by maxPerPass hands the rest of its listing to the next
    // pass: no directory rescan (an lstat per file) per batch of maxPerPass.
    const carried = backlog;
    backlog = undefined;
    const { records, suspects } = carried ? { records: carried, suspects: [] } : await store.list();
    for (const s of suspects) {
      if (closed) break;
      if (stuck.has(s.name)) continue;
      if (!store.tryLease(s.name)) continue;
      try {
        const detail = s.kind === 'foreign' ? 'owned by another uid' : 'not a regular file';
        if ((await quarantineEntry(options, s.name, { reason: s.kind, detail })) === 'failed')
          stuck.add(s.name);
      } finally {
        store.release(s.name);
      }
    }

    // Deliveries run concurrently (up to maxInFlight), started oldest first. Everything before
    // the send (expiry, read, quarantine, rate limit) is decided one entry at a time, in order.
    const running = new Set<Promise<void>>();
    let stop: 'retryable' | 'rate-limited' | 'pass-limit' | 'closed' | undefined;
    let thrown: { error: unknown } | undefined;
    // After a failure streak the first send probes alone: a server still down gets one
    // attempt per backoff, not maxInFlight. Its success opens the window.
    let window = failures > 0 ? 1 : maxInFlight;

    /** What one record's answer means for its file, the counters and the backoff. */
    async function settle(item: Handed, outcome: DeliveryOutcome): Promise<void> {
      const { entry, record, reservation } = item;
      if (outcome.kind !== 'delivered') limiter.refund(reservation);
      if (outcome.kind === 'delivered') {
        await store.remove(entry.name);
        delivered++;
        // A success that finishes after a failure of this pass does not end that failure's backoff.
        if (stop !== 'retryable') {
          if (failures > 0) logger.log('notice', 'server reachable again, draining the spool', { failures });
          failures = 0;
          window = maxInFlight;
        }
        metrics.inc('delivered', { record, name: entry.name, status: outcome.status, from: 'spool' });
      } else if (outcome.kind === 'permanent') {
        await rejectPermanently(options, entry.name, record, outcome);
      } else if (stop !== 'retryable' && !closed) {
        // The first retryable failure backs off once; the others in flight share it.
        stop = 'retryable';
        noteFailure(outcome);
      }
    }

    /** One request: a record alone, or a batch; the leases are released once all are settled. */
    function start(items: readonly Handed[]): void {
      const run = async (): Promise<void> => {
        try {
          if (items.length === 1) {
            await settle(items[0]!, await sink.deliver(items[0]!.record, abort.signal));
          } else {
            const outcomes = await sink.deliverBatch!(
              items.map((i) => ({ id: i.entry.name, record: i.record })),
              abort.signal,
            );
            await Promise.all(
              items.map((item, k) =>
                settle(item, outcomes[k] ?? { kind: 'retryable', reason: 'batch: no outcome' }),
              ),
            );
          }
        } catch (error) {
          thrown ??= { error };
        } finally {
          for (const i of items) store.release(i.entry.name);
        }
      };
      const p: Promise<void> = run().finally(() => running.delete(p));
      running.add(p);
    }

    // Records collected for the next batch request (batched delivery, deliver/batch-client.ts).
    let batch: Handed[] = [];
    let batchMax = 0;
    function flushBatch(): void {
      const items = batch;
      batch = [];
      if (items.length > 0) start(items);
    }
    /** Collected but not sent (the pass stopped): their leases and limiter budget go back. */
    function dropBatch(): void {
      for (const i of batch) {
        limiter.refund(i.reservation);
        store.release(i.entry.name);
      }
      batch = [];
    }

    try {
      for (let i = 0; i < records.length; i++) {
        const entry = records[i]!;
        while (running.size >= window && stop === undefined && thrown === undefined)
          await Promise.race(running);
        if (thrown !== undefined || stop !== undefined) break;
        if (closed) {
          stop = 'closed';
          break;
        }
        // A pass of batches examines several batches' worth: each request carries many records.
        if (examined >= Math.max(maxPerPass, batchMax * BATCHES_PER_PASS)) {
          backlog = records.slice(i);
          stop = 'pass-limit';
          break;
        }
        if (stuck.has(entry.name) || !store.tryLease(entry.name)) continue;
        examined++;
        let handed = false;
        try {
          if (expired(entry.mtimeMs)) {
            await dropExpired(entry);
            continue;
          }
          const read = await store.read(entry.name);
          if (!read.ok) {
            if (read.kind === 'gone') continue;
            if (read.kind === 'io') {
              logger.log('err', 'cannot read spooled record; skipped until restart', {
                name: entry.name,
                detail: read.detail,
              });
              stuck.add(entry.name);
              continue;
            }
            if (read.kind === 'format' && wallNow() - entry.mtimeMs < UNPARSABLE_GRACE_MS) continue;
            const moved = await quarantineEntry(options, entry.name, {
              reason: read.kind,
              detail: read.detail,
            });
            if (moved === 'failed') stuck.add(entry.name);
            continue;
          }
          if (!options.deliveryEnabled) {
            await store.remove(entry.name);
            metrics.dropped('delivery_disabled', { name: entry.name });
            void options.journal?.recordKeptLocal(read.record);
            continue;
          }
          // A send that failed (or a close) while this record was read: nothing new starts.
          if (stop !== undefined || thrown !== undefined) break;
          if (closed) {
            stop = 'closed';
            break;
          }
          const verdict = limiter.acquire(read.bytes);
          if (!verdict.ok) {
            if (options.strategy === 'drop') {
              await dropRateLimited(options, entry.name, read.record, verdict.limit);
              continue;
            }
            schedule(
              Number.isFinite(verdict.retryInMs)
                ? Math.min(verdict.retryInMs, options.processTimeMs)
                : options.processTimeMs,
            );
            stop = 'rate-limited';
            break;
          }
          metrics.inc('retried', { name: entry.name });
          handed = true;
          const item = { entry, record: read.record, reservation: verdict.reservation };
          // After failures the first send probes alone (one record), batched or not.
          const limit = failures === 0 && sink.deliverBatch ? sink.batchLimit?.(read.record) : undefined;
          if (limit === undefined || limit.records < 2) {
            start([item]);
            continue;
          }
          batchMax = Math.max(batchMax, limit.records);
          batch.push(item);
          if (batch.length >= limit.records) flushBatch();
        } finally {
          if (!handed) store.release(entry.name);
        }
      }
    } finally {
      // A batch still collecting goes out unless the pass stopped for a failure or a close.
      if (
        (stop === undefined || stop === 'pass-limit' || stop === 'rate-limited') &&
        thrown === undefined &&
        !closed
      )
        flushBatch();
      else dropBatch();
      await Promise.all(running);
    }
    if (thrown !== undefined) throw thrown.error;
    if (stop === 'retryable') backlog = undefined; // the next pass re-lists: the failed ones first
    return { delivered, examined, stoppedBy: stop ?? 'done' };
  }

  const d: Drainer = {
    get backingOff() {
      return failures > 0 && monotonicNow() < backoffUntil;
    },
    get failures() {
      return failures;
    },
    start() {
      if (started || closed) return;
      started = true;
      schedule(0);
    },
    kick() {
      if (closed || d.backingOff) return;
      if (current) {
        again = true;
        return;
      }
      schedule(0);
    },
    runPass() {
      if (current) {
        again = true;
        return current;
      }
      current = (async () => {
        let result: PassResult;
        try {
          result = await pass();
        } catch (err) {
          logger.log('err', 'spool pass failed', { detail: (err as Error).message });
          result = { delivered: 0, examined: 0, stoppedBy: 'done' };
        } finally {
          current = undefined;
        }
        if (closed) return result;
        // A pass cut at the pass limit continues with its old listing: records spooled meanwhile
        // (`again`) are not in it, so the request for a fresh pass must outlive the backlog pass.
        // Resetting it here parked them until spool_process_time with the server healthy.
        if (result.stoppedBy === 'pass-limit') {
          schedule(0);
          return result;
        }
        if (again && result.stoppedBy === 'done') schedule(0);
        else if (result.stoppedBy === 'done') schedule(options.processTimeMs);
        else if (result.stoppedBy === 'backoff') schedule(backoffUntil - monotonicNow());
        again = false;
        return result;
      })();
      return current;
    },
    reportFailure(outcome) {
      noteFailure(outcome);
    },
    reportSuccess() {
      if (failures === 0) return;
      logger.log('notice', 'server reachable again, draining the spool', { failures });
      failures = 0;
      backoffUntil = 0;
      d.kick();
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      abort.abort();
      await current?.catch(() => {});
    },
  };
  return d;
}
