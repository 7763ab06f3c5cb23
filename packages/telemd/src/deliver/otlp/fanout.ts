// Several delivery targets behind one Sink: the collector (primary) and the
// OTLP export. A record counts as delivered, and so leaves the spool, only
// once every target that takes it has acknowledged it; until then deliver()
// answers retryable and the spool keeps it. Which targets already have a
// record is remembered (in memory), so a retry goes only to the ones that
// still need it. Each extra target has its own backoff: while it backs off it
// is not tried, and the answer says how long is left.
//
// A target with its own queue (defer: the OTLP outbox) takes what it cannot
// deliver now into that queue, so it never holds a record in the main spool
// and a down receiver does not stop the collector's queue.
//
// A permanent refusal by the primary is the record's fate (as without
// export); by an extra target it is logged and that target is done with the
// record, which must not be held from the collector by an exporter's opinion.
// After a restart the memory is gone: a record the collector had but the
// exporter had not is sent to both again (at least once, never lost).
import type { Logger } from '@telemetrics/libtelemetry/log';
import type { TelemRecord } from '../../record.ts';
import { type BackoffPolicy, backoffDelayMs } from '../backoff.ts';
import type { DeliveryOutcome, Sink } from '../sink.ts';

export interface FanoutTarget {
  readonly name: string;
  readonly sink: Sink;
  /** Whether this target takes the record at all (the classification filter). */
  readonly selects: (record: TelemRecord) => boolean;
  /**
   * The target's own durable queue (the OTLP outbox): when the target cannot take a record now,
   * it is kept there and counts as taken, so the main spool can let it go once the others have
   * it. Without one, the record stays in the main spool until the target takes it.
   */
  readonly defer?: (record: TelemRecord) => Promise<void>;
}

export interface FanoutOptions {
  readonly primary: Sink;
  readonly targets: readonly FanoutTarget[];
  readonly logger: Logger;
  readonly policy: BackoffPolicy;
  readonly random?: () => number;
  readonly now?: () => number;
  /** Records with a partial delivery remembered at most; the oldest are forgotten first. */
  readonly maxTracked?: number;
}

const PRIMARY = '(server)';

/** Identity of a record across spool reads: its event id is chosen by the probe, so more is added. */
export function recordKey(record: TelemRecord): string {
  let hash = 0x811c9dc5;
  for (const byte of record.payload) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  const h = record.headers;
  return `${h.event_id}|${h.creation_timestamp}|${h.classification}|${record.payload.length}|${hash}`;
}

interface TargetState {
  failures: number;
  notBefore: number;
}

export function createFanoutSink(options: FanoutOptions): Sink {
  const { primary, targets, logger, policy } = options;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const maxTracked = options.maxTracked ?? 100_000;
  const done = new Map<string, Set<string>>();
  const states = new Map<string, TargetState>(targets.map((t) => [t.name, { failures: 0, notBefore: 0 }]));

  function remember(key: string, names: Set<string>): void {
    done.delete(key);
    done.set(key, names);
    if (done.size > maxTracked) done.delete(done.keys().next().value as string);
  }

  /** Hand the record to the target's own queue; retryable (the main spool keeps it) if that fails. */
  async function deferTo(
    target: FanoutTarget,
    record: TelemRecord,
    why: DeliveryOutcome,
  ): Promise<DeliveryOutcome> {
    if (target.defer === undefined) return why;
    try {
      await target.defer(record);
      return { kind: 'delivered', status: 202 };
    } catch (error) {
      return {
        kind: 'retryable',
        reason: `${target.name}: cannot keep the record (${(error as Error).message})`,
      };
    }
  }

  async function deliverTo(target: FanoutTarget, record: TelemRecord, signal?: AbortSignal) {
    const state = states.get(target.name)!;
    const wait = state.notBefore - now();
    if (wait > 0) {
      const backingOff: DeliveryOutcome = {
        kind: 'retryable',
        reason: `${target.name}: backing off`,
        retryAfterMs: wait,
      };
      return deferTo(target, record, backingOff);
    }
    let outcome: DeliveryOutcome;
    try {
      outcome = await target.sink.deliver(record, signal);
    } catch (error) {
      outcome = { kind: 'retryable', reason: `${target.name} threw: ${(error as Error).message}` };
    }
    if (outcome.kind === 'retryable') {
      state.failures++;
      state.notBefore = now() + backoffDelayMs(state.failures, random, outcome.retryAfterMs, policy);
    } else {
      state.failures = 0;
      state.notBefore = 0;
    }
    if (outcome.kind === 'permanent') {
      logger.log('warning', 'export target refused a record; it is not retried there', {
        target: target.name,
        classification: record.headers.classification,
        event_id: record.headers.event_id,
        reason: outcome.reason,
      });
    }
    return outcome.kind === 'retryable' ? deferTo(target, record, outcome) : outcome;
  }

  async function deliver(record: TelemRecord, signal?: AbortSignal): Promise<DeliveryOutcome> {
    const key = recordKey(record);
    const had = done.get(key) ?? new Set<string>();
    const pending = targets.filter((t) => !had.has(t.name) && t.selects(record));
    const [primaryOutcome, ...outcomes] = await Promise.all([
      had.has(PRIMARY) ? undefined : primary.deliver(record, signal),
      ...pending.map((t) => deliverTo(t, record, signal)),
    ]);
    if (primaryOutcome?.kind === 'permanent') {
      done.delete(key);
      return primaryOutcome;
    }
    const now = new Set(had);
    if (primaryOutcome === undefined || primaryOutcome.kind === 'delivered') now.add(PRIMARY);
    const waiting: DeliveryOutcome[] = primaryOutcome?.kind === 'retryable' ? [primaryOutcome] : [];
    pending.forEach((t, i) => {
      const outcome = outcomes[i]!;
      if (outcome.kind === 'retryable') waiting.push(outcome);
      else now.add(t.name);
    });
    if (waiting.length === 0) {
      done.delete(key);
      return {
        kind: 'delivered',
        status: primaryOutcome?.kind === 'delivered' ? primaryOutcome.status : 200,
      };
    }
    remember(key, now);
    const retryAfters = waiting.flatMap((o) =>
      o.kind === 'retryable' && o.retryAfterMs ? [o.retryAfterMs] : [],
    );
    const reason = waiting.map((o) => (o.kind === 'retryable' ? o.reason : '')).join('; ');
    const status = waiting.find((o) => o.kind === 'retryable' && o.status !== undefined);
    return {
      kind: 'retryable',
      reason,
      ...(status?.kind === 'retryable' && status.status !== undefined ? { status: status.status } : {}),
      ...(retryAfters.length > 0 ? { retryAfterMs: Math.max(...retryAfters) } : {}),
    };
  }

  return {
    deliver,
    async close() {
      await Promise.all([primary.close(), ...targets.map((t) => t.sink.close())]);
    },
  };
}
