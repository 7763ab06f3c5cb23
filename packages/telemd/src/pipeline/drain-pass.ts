// One pass of the drainer (drain.ts) over the spool listing, oldest first. Each entry is
// decided alone and in order (expired? readable? delivery enabled? within the rate limit?);
// the sends it hands over run concurrently, up to a window, alone or in batches. The first
// retryable failure, a close or the pass limit stops the pass: none new start, those in
// flight finish. The drainer keeps what outlives a pass (backoff, timers, stuck entries).
import type { Logger } from '@telemetrics/libtelemetry/log';
import type { DeliveryOutcome, Sink } from '../deliver/sink.ts';
import type { Metrics } from '../observe/metrics.ts';
import type { TelemRecord } from '../record.ts';
import type { SpoolEntry, SpoolStore } from '../spool/store.ts';
import { dropRateLimited, rejectPermanently } from './fates.ts';
import type { RecordFateJournal } from './journal-hook.ts';
import type { Limiter, LimitReservation } from './limiter.ts';
import { type Quarantine, quarantineEntry } from './quarantine.ts';

/** With batched delivery a pass examines up to this many batches' worth of records. */
export const BATCHES_PER_PASS = 4;
/** A foreign writer (C telemprobd writes in place, BUG-12) may still be writing a young file. */
export const UNPARSABLE_GRACE_MS = 60_000;

export type StopReason = 'retryable' | 'rate-limited' | 'pass-limit' | 'closed';

export interface PassResult {
  readonly delivered: number;
  readonly examined: number;
  readonly stoppedBy: 'done' | 'backoff' | StopReason;
}

/** The drainer's parts and settings (DrainerOptions, drain.ts), which a pass uses as they are. */
export interface DrainParts {
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
}

/** What a pass needs of its drainer: the parts, the settings, and the state that outlives it. */
export interface PassContext extends DrainParts {
  readonly maxPerPass: number;
  readonly maxInFlight: number;
  readonly signal: AbortSignal;
  readonly wallNow: () => number;
  /** Entries that could neither be read nor moved away: skipped until restart. */
  readonly stuck: Set<string>;
  readonly closed: () => boolean;
  /** The failure streak so far (0: the server answers). */
  readonly failures: () => number;
  /** A delivery succeeded while this pass has no failure of its own: the streak ends. */
  readonly onRecovered: () => void;
  /** This pass's first retryable failure: back off (the drainer's noteFailure). */
  readonly onRetryable: (outcome: Extract<DeliveryOutcome, { kind: 'retryable' }>) => void;
  /** Ask for a pass in `ms` (the earliest asked for wins). */
  readonly schedule: (ms: number) => void;
}

/** A record handed to a request: its file (leased), the record, its rate-limit budget. */
interface Handed {
  readonly entry: SpoolEntry;
  readonly record: TelemRecord;
  readonly reservation: LimitReservation;
}

/** Files that are not records (owned by another uid, not regular): quarantined, or stuck. */
export async function quarantineSuspects(
  ctx: PassContext,
  suspects: readonly { readonly name: string; readonly kind: 'foreign' | 'not-regular' }[],
): Promise<void> {
  for (const s of suspects) {
    if (ctx.closed()) break;
    if (ctx.stuck.has(s.name)) continue;
    if (!ctx.store.tryLease(s.name)) continue;
    try {
      const detail = s.kind === 'foreign' ? 'owned by another uid' : 'not a regular file';
      if ((await quarantineEntry(ctx, s.name, { reason: s.kind, detail })) === 'failed')
        ctx.stuck.add(s.name);
    } finally {
      ctx.store.release(s.name);
    }
  }
}

function expired(ctx: PassContext, mtimeMs: number): boolean {
  if (ctx.recordExpiryMinutes < 0) return false;
  return ctx.wallNow() - mtimeMs > ctx.recordExpiryMinutes * 60_000;
}

/**
 * record_expiry: deleted unsent. The record is read first so the `.dropped` journal names
 * it; a file that cannot be read or parsed is deleted all the same, with its log line.
 */
async function dropExpired(ctx: PassContext, entry: SpoolEntry): Promise<void> {
  const read = await ctx.store.read(entry.name);
  if (!read.ok && read.kind === 'gone') return;
  await ctx.store.remove(entry.name);
  ctx.metrics.inc('expired', { name: entry.name });
  if (read.ok) void ctx.journal?.recordDropped(read.record, 'expired');
  ctx.logger.log('notice', 'spooled record expired, deleted unsent', {
    name: entry.name,
    record_expiry_min: ctx.recordExpiryMinutes,
    ...(read.ok ? {} : { unreadable: read.detail }),
  });
}

/**
 * A leased entry's record if it is one to send; otherwise its fate is settled here (expired,
 * gone, unreadable, quarantined, kept local with delivery disabled) and it is undefined.
 */
export async function readForSend(
  ctx: PassContext,
  entry: SpoolEntry,
): Promise<{ readonly record: TelemRecord; readonly bytes: number } | undefined> {
  if (expired(ctx, entry.mtimeMs)) {
    await dropExpired(ctx, entry);
    return undefined;
  }
  const read = await ctx.store.read(entry.name);
  if (!read.ok) {
    if (read.kind === 'gone') return undefined;
    if (read.kind === 'io') {
      ctx.logger.log('err', 'cannot read spooled record; skipped until restart', {
        name: entry.name,
        detail: read.detail,
      });
      ctx.stuck.add(entry.name);
      return undefined;
    }
    if (read.kind === 'format' && ctx.wallNow() - entry.mtimeMs < UNPARSABLE_GRACE_MS) return undefined;
    const moved = await quarantineEntry(ctx, entry.name, { reason: read.kind, detail: read.detail });
    if (moved === 'failed') ctx.stuck.add(entry.name);
    return undefined;
  }
  if (!ctx.deliveryEnabled) {
    await ctx.store.remove(entry.name);
    ctx.metrics.dropped('delivery_disabled', { name: entry.name });
    void ctx.journal?.recordKeptLocal(read.record);
    return undefined;
  }
  return { record: read.record, bytes: read.bytes };
}

/** One pass over `records`; run() once. */
export class DrainPass {
  delivered = 0;
  examined = 0;
  stop: StopReason | undefined;
  /** Entries not reached when the pass limit stopped it: the next pass starts with them. */
  backlog: SpoolEntry[] | undefined;
  private thrown: { error: unknown } | undefined;
  private readonly running = new Set<Promise<void>>();
  // After a failure streak the first send probes alone: a server still down gets one
  // attempt per backoff, not maxInFlight. Its success opens the window.
  private window: number;
  // Records collected for the next batch request (batched delivery, deliver/batch-client.ts).
  private batch: Handed[] = [];
  private batchMax = 0;

  private readonly ctx: PassContext;
  private readonly records: readonly SpoolEntry[];

  constructor(ctx: PassContext, records: readonly SpoolEntry[]) {
    this.ctx = ctx;
    this.records = records;
    this.window = ctx.failures() > 0 ? 1 : ctx.maxInFlight;
  }

  async run(): Promise<PassResult> {
    try {
      for (let i = 0; i < this.records.length; i++) {
        if (!(await this.roomForOneMore(i))) break;
        const entry = this.records[i]!;
        if (this.ctx.stuck.has(entry.name) || !this.ctx.store.tryLease(entry.name)) continue;
        this.examined++;
        if ((await this.examine(entry)) === 'stop') break;
      }
    } finally {
      await this.finish();
    }
    if (this.thrown !== undefined) throw this.thrown.error;
    if (this.stop === 'retryable') this.backlog = undefined; // the next pass re-lists: the failed ones first
    return { delivered: this.delivered, examined: this.examined, stoppedBy: this.stop ?? 'done' };
  }

  private stopped(): boolean {
    return this.stop !== undefined || this.thrown !== undefined;
  }

  /** Wait for a free place in the window; false (and why in `stop`) when the pass must end. */
  private async roomForOneMore(i: number): Promise<boolean> {
    while (this.running.size >= this.window && !this.stopped()) await Promise.race(this.running);
    if (this.stopped()) return false;
    if (this.ctx.closed()) {
      this.stop = 'closed';
      return false;
    }
    // A pass of batches examines several batches' worth: each request carries many records.
    if (this.examined >= Math.max(this.ctx.maxPerPass, this.batchMax * BATCHES_PER_PASS)) {
      this.backlog = this.records.slice(i);
      this.stop = 'pass-limit';
      return false;
    }
    return true;
  }

  /** Decide one leased entry; its lease goes back unless a request took it. */
  private async examine(entry: SpoolEntry): Promise<'next' | 'stop'> {
    let handed = false;
    try {
      const read = await readForSend(this.ctx, entry);
      if (read === undefined) return 'next';
      // A send that failed (or a close) while this record was read: nothing new starts.
      if (this.stopped()) return 'stop';
      if (this.ctx.closed()) {
        this.stop = 'closed';
        return 'stop';
      }
      const verdict = this.ctx.limiter.acquire(read.bytes);
      if (!verdict.ok) return this.rateLimited(entry, read.record, verdict.limit, verdict.retryInMs);
      this.ctx.metrics.inc('retried', { name: entry.name });
      handed = true;
      this.hand({ entry, record: read.record, reservation: verdict.reservation });
      return 'next';
    } finally {
      if (!handed) this.ctx.store.release(entry.name);
    }
  }

  /** Over the rate limit: strategy drop drops the record; spool waits for the window to move. */
  private async rateLimited(
    entry: SpoolEntry,
    record: TelemRecord,
    limit: Parameters<typeof dropRateLimited>[3],
    retryInMs: number,
  ): Promise<'next' | 'stop'> {
    if (this.ctx.strategy === 'drop') {
      await dropRateLimited(this.ctx, entry.name, record, limit);
      return 'next';
    }
    const { processTimeMs } = this.ctx;
    this.ctx.schedule(Number.isFinite(retryInMs) ? Math.min(retryInMs, processTimeMs) : processTimeMs);
    this.stop = 'rate-limited';
    return 'stop';
  }

  /** Send alone, or collect into the batch the sink admits. */
  private hand(item: Handed): void {
    const { sink } = this.ctx;
    // After failures the first send probes alone (one record), batched or not.
    const limit = this.ctx.failures() === 0 && sink.deliverBatch ? sink.batchLimit?.(item.record) : undefined;
    if (limit === undefined || limit.records < 2) {
      this.start([item]);
      return;
    }
    this.batchMax = Math.max(this.batchMax, limit.records);
    this.batch.push(item);
    if (this.batch.length >= limit.records) this.flushBatch();
  }

  /** A batch still collecting goes out unless the pass stopped for a failure or a close. */
  private async finish(): Promise<void> {
    const sendable = this.stop === undefined || this.stop === 'pass-limit' || this.stop === 'rate-limited';
    if (sendable && this.thrown === undefined && !this.ctx.closed()) this.flushBatch();
    else this.dropBatch();
    await Promise.all(this.running);
  }

  private flushBatch(): void {
    const items = this.batch;
    this.batch = [];
    if (items.length > 0) this.start(items);
  }

  /** Collected but not sent (the pass stopped): their leases and limiter budget go back. */
  private dropBatch(): void {
    for (const i of this.batch) {
      this.ctx.limiter.refund(i.reservation);
      this.ctx.store.release(i.entry.name);
    }
    this.batch = [];
  }

  /** One request: a record alone, or a batch; the leases are released once all are settled. */
  private start(items: readonly Handed[]): void {
    const p: Promise<void> = this.send(items).finally(() => this.running.delete(p));
    this.running.add(p);
  }

  private async send(items: readonly Handed[]): Promise<void> {
    const { sink, signal } = this.ctx;
    try {
      if (items.length === 1) {
        await this.settle(items[0]!, await sink.deliver(items[0]!.record, signal));
        return;
      }
      const outcomes = await sink.deliverBatch!(
        items.map((i) => ({ id: i.entry.name, record: i.record })),
        signal,
      );
      await Promise.all(
        items.map((item, k) =>
          this.settle(item, outcomes[k] ?? { kind: 'retryable', reason: 'batch: no outcome' }),
        ),
      );
    } catch (error) {
      this.thrown ??= { error };
    } finally {
      for (const i of items) this.ctx.store.release(i.entry.name);
    }
  }

  /** What one record's answer means for its file, the counters and the backoff. */
  private async settle(item: Handed, outcome: DeliveryOutcome): Promise<void> {
    const { entry, record, reservation } = item;
    const { ctx } = this;
    if (outcome.kind !== 'delivered') ctx.limiter.refund(reservation);
    if (outcome.kind === 'delivered') {
      await ctx.store.remove(entry.name);
      this.delivered++;
      // A success that finishes after a failure of this pass does not end that failure's backoff.
      if (this.stop !== 'retryable') {
        ctx.onRecovered();
        this.window = ctx.maxInFlight;
      }
      ctx.metrics.inc('delivered', { record, name: entry.name, status: outcome.status, from: 'spool' });
    } else if (outcome.kind === 'permanent') {
      await rejectPermanently(ctx, entry.name, record, outcome);
    } else if (this.stop !== 'retryable' && !ctx.closed()) {
      // The first retryable failure backs off once; the others in flight share it.
      this.stop = 'retryable';
      ctx.onRetryable(outcome);
    }
  }
}
