// Sends what the OTLP outbox holds (outbox.ts), oldest first, a batch at a
// time through the OTLP sink; a record is removed once the receiver took it
// (or refused it for good, logged). A failed batch backs off (the target's
// own policy); kick() asks for a pass when something new was kept. Each pass
// first deletes what is past record_expiry (outbox.enforce()), so records that
// wait for a receiver that never returns go in the end, and with them the
// reason telemd stays up (busy, daemon.ts's idle exit).
import type { Logger } from '@telemetrics/libtelemetry/log';
import { type BackoffPolicy, backoffDelayMs } from '../backoff.ts';
import type { Sink } from '../sink.ts';
import type { OtlpOutbox } from './outbox.ts';

export interface OutboxDrainOptions {
  readonly outbox: OtlpOutbox;
  readonly sink: Sink;
  readonly logger: Logger;
  readonly policy: BackoffPolicy;
  readonly batch?: number;
  readonly random?: () => number;
}

export interface OutboxDrain {
  /** Run a pass soon, unless backing off. */
  kick(): void;
  readonly backingOff: boolean;
  /** A pass is running or scheduled (now or after a backoff). */
  readonly busy: boolean;
  close(): Promise<void>;
}

export function startOutboxDrain(options: OutboxDrainOptions): OutboxDrain {
  const { outbox, sink, logger, policy } = options;
  const batch = options.batch ?? 64;
  const random = options.random ?? Math.random;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  function schedule(ms: number): void {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      again = false;
      running ??= pass().finally(() => {
        running = undefined;
        // Kept while this pass listed the directory: not seen by it.
        if (again && failures === 0 && timer === undefined) schedule(0);
      });
    }, ms);
  }

  /** One batch; schedules the next (at once when more wait, after the backoff when it failed). */
  async function pass(): Promise<void> {
    await outbox.enforce();
    const names = (await outbox.list()).slice(0, batch);
    const kept = await Promise.all(names.map(async (name) => ({ name, record: await outbox.read(name) })));
    const present = kept.filter((k) => k.record !== undefined);
    const outcomes = await Promise.all(present.map((k) => sink.deliver(k.record!)));
    let retryAfterMs: number | undefined;
    let failed = false;
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome.kind === 'retryable') {
        failed = true;
        retryAfterMs = outcome.retryAfterMs ?? retryAfterMs;
        continue;
      }
      if (outcome.kind === 'permanent') {
        logger.log('warning', 'OTLP receiver refused a record; it is not retried', {
          reason: outcome.reason,
        });
      }
      await outbox.remove(present[i]!.name);
    }
    if (failed) {
      failures++;
      schedule(backoffDelayMs(failures, random, retryAfterMs, policy));
      return;
    }
    failures = 0;
    if (names.length === batch) schedule(0);
  }

  schedule(0); // what an earlier run left
  return {
    kick() {
      if (failures > 0 || timer !== undefined) return;
      if (running !== undefined) again = true;
      else schedule(0);
    },
    get backingOff() {
      return failures > 0;
    },
    get busy() {
      return running !== undefined || timer !== undefined;
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
