import { type BackoffPolicy, backoffDelayMs, DEFAULT_BACKOFF } from '../deliver/backoff.ts';
import { DELIVERY_IN_FLIGHT, type DeliveryOutcome } from '../deliver/sink.ts';
import { monotonicMs } from '../observe/clock.ts';
import { streakLogDue } from '../observe/log-budget.ts';
import type { SpoolEntry } from '../spool/store.ts';
import {
  type DrainParts,
  DrainPass,
  type PassContext,
  type PassResult,
  quarantineSuspects,
} from './drain-pass.ts';

export { BATCHES_PER_PASS, type PassResult, UNPARSABLE_GRACE_MS } from './drain-pass.ts';

export const DEFAULT_MAX_PER_PASS = 500;
export interface DrainerOptions extends DrainParts {
  readonly random?: () => number;
  readonly wallNow?: () => number;
  readonly monotonicNow?: () => number;
  readonly maxPerPass?: number;
  /** Deliveries one pass keeps running at once (default DELIVERY_IN_FLIGHT). */
  readonly maxInFlight?: number;
  readonly backoff?: BackoffPolicy;
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

/**
 * When the next pass is due after one that stopped by `stoppedBy` (undefined: no wake-up from
 * here; a retryable stop has scheduled its backoff, a rate-limited one its window). `again`: a
 * pass was asked for while this one ran.
 */
export function nextWakeUp(
  stoppedBy: PassResult['stoppedBy'],
  again: boolean,
  times: { readonly processTimeMs: number; readonly backoffLeftMs: () => number },
): number | undefined {
  if (stoppedBy === 'pass-limit') return 0;
  if (stoppedBy === 'done') return again ? 0 : times.processTimeMs;
  if (stoppedBy === 'backoff') return times.backoffLeftMs();
  return undefined;
}

export function createDrainer(options: DrainerOptions): Drainer {
  const { store, metrics, logger } = options;
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
    if (streakLogDue(failures, 10)) {
      logger.log('warning', 'delivery failed, records stay in the spool', {
        reason: outcome.reason,
        status: outcome.status,
        failures,
        retry_in_ms: delay,
      });
    }
    schedule(delay);
  }

  const passContext: PassContext = {
    ...options,
    maxPerPass,
    maxInFlight,
    signal: abort.signal,
    wallNow,
    stuck,
    closed: () => closed,
    failures: () => failures,
    onRecovered() {
      if (failures > 0) logger.log('notice', 'server reachable again, draining the spool', { failures });
      failures = 0;
    },
    onRetryable: noteFailure,
    schedule,
  };

  async function pass(): Promise<PassResult> {
    if (failures > 0 && monotonicNow() < backoffUntil) {
      return { delivered: 0, examined: 0, stoppedBy: 'backoff' };
    }
    // A pass cut short by maxPerPass hands the rest of its listing to the next
    // pass: no directory rescan (an lstat per file) per batch of maxPerPass.
    const carried = backlog;
    backlog = undefined;
    const { records, suspects } = carried ? { records: carried, suspects: [] } : await store.list();
    await quarantineSuspects(passContext, suspects);
    const run = new DrainPass(passContext, records);
    try {
      return await run.run();
    } finally {
      backlog = run.backlog;
    }
  }

  /** One pass (a failure is logged, never thrown), then the wake-up it calls for. */
  async function passThenSchedule(): Promise<PassResult> {
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
    const wake = nextWakeUp(result.stoppedBy, again, {
      processTimeMs: options.processTimeMs,
      backoffLeftMs: () => backoffUntil - monotonicNow(),
    });
    if (wake !== undefined) schedule(wake);
    // A pass cut at the pass limit continues with its old listing: records spooled meanwhile
    // (`again`) are not in it, so the request for a fresh pass must outlive the backlog pass.
    // Resetting it here parked them until spool_process_time with the server healthy.
    if (result.stoppedBy !== 'pass-limit') again = false;
    return result;
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
      current = passThenSchedule();
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
