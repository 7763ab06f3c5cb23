// Where telemd tells the journal what happened to a record (spec c-client.md
// 6.6, 10). Every delivered record and every record kept local because
// record_server_delivery_enabled=false gets a journal entry (C 2.4 lost the
// delivered ones, BUG-17), and with record_retention_enabled its payload is
// kept under record_retention_dir/<record_id>. Records telemd gives up on
// (dropped, quarantined, expired) go to a side file, `<journal_file>.dropped`:
// the same RS lines plus a 6th field, the reason, so the C viewer and
// `telemctl journal` never mistake them for sent records. The side file is
// pruned like the journal (150 -> 100) and has no retained payloads.
//
// The hook never throws into the pipeline: a journal failure is logged (once
// per failure kind, then counted) and the record's fate is unchanged.
import type { RecordHeaders } from '@telemetrics/libtelemetry';
import {
  createRetention,
  droppedJournalPath,
  type Journal,
  type JournalAppendInput,
  openJournal,
  type Retention,
  readJournal,
} from '@telemetrics/libtelemetry/internal/journal';
import type { Logger } from '@telemetrics/libtelemetry/log';
import { createInFlight } from '../in-flight.ts';
import { streakLogDue } from '../observe/log-budget.ts';

export interface JournalHookRecord {
  readonly headers: RecordHeaders;
  /** The probe's payload, exactly (what retention keeps). */
  readonly payload: Buffer;
}

export interface JournalHookOptions {
  /** config.journal_file */
  readonly journalFile: string;
  /** config.record_retention_enabled */
  readonly retentionEnabled: boolean;
  /** config.record_retention_dir */
  readonly retentionDir: string;
  readonly logger: Logger;
  /** Tests point these elsewhere; defaults as in openJournal(). */
  readonly bootIdFile?: string;
  readonly now?: () => number;
}

export interface JournalHook {
  /** The server accepted the record (HTTP 200/201). */
  recordDelivered(record: JournalHookRecord): Promise<void>;
  /** record_server_delivery_enabled=false: the record stays here, journaled as C does. */
  recordKeptLocal(record: JournalHookRecord): Promise<void>;
  /** Given up on: `reason` like `spool_full`, `expired`, `quarantined`, `rejected_400` ([A-Za-z0-9_.:-]). */
  recordDropped(record: JournalHookRecord, reason: string): Promise<void>;
  /** Waits for pending writes, closes the files. Idempotent. */
  close(): Promise<void>;
}

function sanitizeReason(reason: string): string {
  const clean = reason.replace(/[^A-Za-z0-9_.:-]+/g, '_').slice(0, 64);
  return clean === '' ? 'unknown' : clean;
}

export function createJournalHook(options: JournalHookOptions): JournalHook {
  const { logger } = options;
  const retention: Retention | null = options.retentionEnabled
    ? createRetention({ dir: options.retentionDir })
    : null;
  const common = {
    ...(options.bootIdFile === undefined ? {} : { bootIdFile: options.bootIdFile }),
    ...(options.now === undefined ? {} : { now: options.now }),
    logger,
  };
  // Opened on first use: a missing log directory must not stop telemd from starting.
  let main: Promise<Journal> | undefined;
  let dropped: Promise<Journal> | undefined;
  const pending = createInFlight();
  const failures = new Map<string, number>();
  let closed = false;

  // Payloads whose entry was pruned while telemd was down or crashed mid-prune.
  async function sweepOrphans(r: Retention): Promise<void> {
    try {
      const { entries } = await readJournal(options.journalFile, { limit: Number.MAX_SAFE_INTEGER });
      const removed = await r.sweep(new Set(entries.map((e) => e.recordId)));
      if (removed > 0) logger.log('info', 'journal: removed orphaned retained payloads', { count: removed });
    } catch (err) {
      logger.log('warning', 'journal: retention sweep failed', { error: (err as Error).message });
    }
  }

  // A failed open is retried by the next record (the directory may appear later).
  function journal(): Promise<Journal> {
    if (!main) {
      // The sweep finishes before the first append, so it never sees a new payload without its entry.
      const opening = openJournal({
        path: options.journalFile,
        ...common,
        ...(retention ? { onPrune: (id: string) => retention.remove(id) } : {}),
      }).then(async (j) => {
        if (retention) await sweepOrphans(retention);
        return j;
      });
      main = opening;
      opening.catch(() => {
        if (main === opening) main = undefined;
      });
    }
    return main;
  }
  function droppedJournal(): Promise<Journal> {
    if (!dropped) {
      const opening = openJournal({ path: droppedJournalPath(options.journalFile), ...common });
      dropped = opening;
      opening.catch(() => {
        if (dropped === opening) dropped = undefined;
      });
    }
    return dropped;
  }

  function failed(kind: string, record: JournalHookRecord, err: unknown): void {
    const n = (failures.get(kind) ?? 0) + 1;
    failures.set(kind, n);
    // A full or read-only disk fails every record: say it once, then every 100th time.
    if (streakLogDue(n, 100)) {
      logger.log('err', `journal: ${kind} failed`, {
        count: n,
        code: (err as { code?: string }).code,
        error: err instanceof Error ? err.message : String(err),
        classification: record.headers.classification,
        event_id: record.headers.event_id,
      });
    }
  }

  function track(work: Promise<void>): Promise<void> {
    return pending.track(work);
  }

  async function append(
    target: () => Promise<Journal>,
    record: JournalHookRecord,
    note?: string,
  ): Promise<string | null> {
    const input: JournalAppendInput = {
      classification: record.headers.classification,
      eventId: record.headers.event_id,
      ...(note === undefined ? {} : { note }),
    };
    const result = await (await target()).append(input);
    if (!result.ok) {
      // telemd validated both at intake, so this is a bug worth a line, not a crash.
      logger.log('warning', 'journal: entry refused', {
        code: result.code,
        detail: result.detail,
        classification: record.headers.classification,
      });
      return null;
    }
    return result.value.recordId;
  }

  async function journalAndRetain(record: JournalHookRecord): Promise<void> {
    let recordId: string | null;
    try {
      recordId = await append(journal, record);
    } catch (err) {
      failed('journal append', record, err);
      return;
    }
    if (recordId === null || retention === null) return;
    try {
      // After the entry: a crash in between loses a payload, never an entry; the id is
      // this entry's own, so no other record's file is ever touched (BUG-33).
      await retention.save(recordId, record.payload);
    } catch (err) {
      failed('retention write', record, err);
    }
  }

  function guard(work: () => Promise<void>): Promise<void> {
    if (closed) {
      logger.log('warning', 'journal: record after close not journaled');
      return Promise.resolve();
    }
    return track(work());
  }

  return {
    recordDelivered: (record) => guard(() => journalAndRetain(record)),
    recordKeptLocal: (record) => guard(() => journalAndRetain(record)),
    recordDropped: (record, reason) =>
      guard(async () => {
        try {
          await append(droppedJournal, record, sanitizeReason(reason));
        } catch (err) {
          failed('dropped-record append', record, err);
        }
      }),
    async close() {
      closed = true;
      await pending.settled();
      for (const j of [main, dropped]) {
        if (!j) continue;
        try {
          await (await j).close();
        } catch {
          // It never opened; the failure was logged when it was used.
        }
      }
    },
  };
}

/** What the spool needs to journal the records it gives up on (and keeps local from the spool). */
export type RecordFateJournal = Pick<JournalHook, 'recordDropped' | 'recordKeptLocal'>;

/** What the wrappers need of telemd's Sink and Pipeline (deliver/sink.ts, pipeline/pipeline.ts). */
export interface JournalSinkLike<R extends JournalHookRecord, O extends { readonly kind: string }> {
  deliver(record: R, signal?: AbortSignal): Promise<O>;
  batchLimit?(record: R): { readonly records: number } | undefined;
  deliverBatch?(
    items: readonly { readonly id: string; readonly record: R }[],
    signal?: AbortSignal,
  ): Promise<O[]>;
  isIdle?(): boolean;
  close(): Promise<void>;
}
export interface JournalPipelineLike<R extends JournalHookRecord> {
  accept(record: R): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * A sink that journals every record the server accepted, whichever path
 * delivered it (first attempt, unspooled attempt, spool drain). The entry is
 * written in the background: waiting for its fsync before deliver() returns
 * would keep the spool file longer, and a spool file that outlives its
 * delivery is delivered again (a reload's new drainer picks it up). The hook
 * tracks the write and close() waits for it; a crash before it lands loses
 * the entry, not the record.
 */
export function journalingSink<R extends JournalHookRecord, O extends { readonly kind: string }>(
  sink: JournalSinkLike<R, O>,
  hook: JournalHook,
): JournalSinkLike<R, O> {
  const wrapped: JournalSinkLike<R, O> = {
    async deliver(record, signal) {
      const outcome = await sink.deliver(record, signal);
      if (outcome.kind === 'delivered') void hook.recordDelivered(record);
      return outcome;
    },
    close: () => sink.close(),
  };
  const { batchLimit, deliverBatch, isIdle } = sink;
  if (isIdle) wrapped.isIdle = () => isIdle.call(sink);
  if (batchLimit && deliverBatch) {
    // Batched delivery (deliver/batch-client.ts): each record the answer names as stored.
    wrapped.batchLimit = (record) => batchLimit.call(sink, record);
    wrapped.deliverBatch = async (items, signal) => {
      const outcomes = await deliverBatch.call(sink, items, signal);
      outcomes.forEach((outcome, i) => {
        if (outcome.kind === 'delivered') void hook.recordDelivered(items[i]!.record);
      });
      return outcomes;
    };
  }
  return wrapped;
}

/**
 * A pipeline that journals records kept local (record_server_delivery_enabled
 * =false: the pipeline never hands them to the sink) before passing each on.
 */
export function journalingPipeline<R extends JournalHookRecord, P extends JournalPipelineLike<R>>(
  pipeline: P,
  hook: JournalHook,
  options: { readonly deliveryEnabled: boolean },
): P {
  const wrapped = Object.create(pipeline) as P;
  wrapped.accept = async (record: R) => {
    if (!options.deliveryEnabled) await hook.recordKeptLocal(record);
    return pipeline.accept(record);
  };
  return wrapped;
}
