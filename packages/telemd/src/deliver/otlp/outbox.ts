// The OTLP target's own spool: records the collector has acknowledged but the
// OTLP receiver has not yet, kept durably (spool file format, fsync, rename)
// in `<spool_dir>/.otlp/` until the receiver takes them (outbox-drain.ts). So
// a down receiver holds back neither the collector nor the main spool, and a
// record is never only in memory. The dot name keeps the main spool's scan
// and telemd.path out of it. Names sort oldest first.
//
// Bounded (outbox-bound.ts): past otlp_spool_max_files / otlp_spool_max_size
// the oldest records are evicted when a new one is kept, and records older
// than record_expiry are deleted unsent (enforce(), at each drain pass). Each
// such record is logged, counted (`dropped{reason}`) and journaled in the
// `.dropped` side file, as the quarantine does with what it evicts. The
// names and sizes are indexed in memory (read once at start), so keeping a
// record does not list the directory.
import { mkdir, readdir, readFile, stat, unlink } from '@telemetrics/libtelemetry/internal/fs-async';
import type { Logger } from '@telemetrics/libtelemetry/log';
import { decodeSpoolFile, encodeSpoolFile } from '@telemetrics/libtelemetry/wire';
import path from 'node:path';
import type { RecordFateJournal } from '../../pipeline/journal-hook.ts';
import type { Metrics } from '../../observe/metrics.ts';
import type { TelemRecord } from '../../record.ts';
import { writeFileDurably } from '../../write-durably.ts';
import {
  expiredItems,
  type OutboxBound,
  type OutboxDropReason,
  type OutboxItem,
  overBound,
  tooLarge,
} from './outbox-bound.ts';

export const OUTBOX_DIR = '.otlp';

export interface OtlpOutbox {
  readonly dir: string;
  /** Keeps the record (or drops it, reported, when it is larger than the whole byte bound). */
  put(record: TelemRecord): Promise<void>;
  /** Names of the kept records, oldest first. */
  list(): Promise<string[]>;
  /** The record, or undefined when it is gone or unreadable (an unreadable one is removed, logged). */
  read(name: string): Promise<TelemRecord | undefined>;
  remove(name: string): Promise<void>;
  /**
   * Delete, reported, the records older than record_expiry, then the oldest past the bounds
   * (which put() keeps, but a restart may have lowered them).
   */
  enforce(): Promise<void>;
  /** Known to hold nothing (false until the directory has been read). */
  isEmpty(): boolean;
}

export interface OutboxOptions {
  readonly spoolDir: string;
  readonly logger: Logger;
  readonly bound: OutboxBound;
  readonly metrics?: Metrics | undefined;
  readonly journal?: RecordFateJournal | undefined;
  readonly now?: () => number;
}

const MESSAGES: Record<OutboxDropReason, string> = {
  otlp_evicted: 'OTLP outbox full, evicted its oldest record',
  otlp_expired: 'OTLP outbox record expired, deleted unsent',
  otlp_too_large: 'record too large for the OTLP outbox, not kept for the receiver',
};

export function createOutbox(options: OutboxOptions): OtlpOutbox {
  const { logger, bound, metrics, journal } = options;
  const now = options.now ?? Date.now;
  const dir = path.join(options.spoolDir, OUTBOX_DIR);
  let made: Promise<void> | undefined;
  let seq = 0;
  /** Sorted by name (oldest first); undefined until loaded. */
  let items: OutboxItem[] | undefined;
  let loading: Promise<OutboxItem[]> | undefined;

  async function load(): Promise<OutboxItem[]> {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
    } catch {
      names = [];
    }
    const found: OutboxItem[] = [];
    for (const name of names) {
      const size = await stat(path.join(dir, name)).then(
        (s) => s.size,
        () => undefined,
      );
      if (size !== undefined) found.push({ name, bytes: size });
    }
    items = found;
    return found;
  }
  function index(): Promise<OutboxItem[]> {
    if (items) return Promise.resolve(items);
    loading ??= load();
    return loading;
  }

  function forget(name: string): boolean {
    const at = items?.findIndex((i) => i.name === name) ?? -1;
    if (at < 0) return false;
    items!.splice(at, 1);
    return true;
  }

  function report(
    reason: OutboxDropReason,
    record: TelemRecord | undefined,
    fields: Record<string, unknown>,
  ) {
    metrics?.dropped(reason, fields);
    if (record) void journal?.recordDropped(record, reason);
    logger.log('warning', MESSAGES[reason], {
      ...fields,
      ...(record ? { classification: record.headers.classification, event_id: record.headers.event_id } : {}),
      max_files: bound.files,
      max_bytes: bound.bytes,
      expiry_ms: bound.expiryMs,
    });
  }

  /** Delete a kept record unsent; read first so the journal names it. */
  async function drop(item: OutboxItem, reason: OutboxDropReason): Promise<void> {
    if (!forget(item.name)) return; // already sent, removed or dropped
    const file = path.join(dir, item.name);
    const bytes = await readFile(file).catch(() => undefined);
    const decoded = bytes ? decodeSpoolFile(bytes) : undefined;
    await unlink(file).catch(() => {});
    report(reason, decoded?.ok ? decoded.value : undefined, { file: item.name, bytes: item.bytes });
  }

  return {
    dir,
    async put(record) {
      const list = await index();
      const bytes = encodeSpoolFile(record);
      if (tooLarge(bytes.length, bound)) {
        report('otlp_too_large', record, { bytes: bytes.length });
        return;
      }
      made ??= mkdir(dir, { recursive: true, mode: 0o750 });
      await made;
      const name = `${String(now()).padStart(15, '0')}-${String(seq++).padStart(6, '0')}-${record.headers.event_id}`;
      // Its temp name starts with '.', so list() never takes a half-written entry.
      await writeFileDurably(path.join(dir, name), bytes, 0o640);
      list.push({ name, bytes: bytes.length });
      if (list.length > 1 && list.at(-2)!.name > name) list.sort((a, b) => (a.name < b.name ? -1 : 1));
      for (const item of overBound(list, bound)) await drop(item, 'otlp_evicted');
    },
    async list() {
      return (await index()).map((i) => i.name);
    },
    async read(name) {
      let bytes: Buffer;
      try {
        bytes = await readFile(path.join(dir, name));
      } catch {
        forget(name);
        return undefined;
      }
      const decoded = decodeSpoolFile(bytes);
      if (decoded.ok) return decoded.value;
      logger.log('err', 'OTLP outbox file unreadable; removed', { file: name, detail: decoded.detail });
      forget(name);
      await unlink(path.join(dir, name)).catch(() => {});
      return undefined;
    },
    async remove(name) {
      forget(name);
      await unlink(path.join(dir, name)).catch(() => {});
    },
    async enforce() {
      for (const item of expiredItems(await index(), bound, now())) await drop(item, 'otlp_expired');
      for (const item of overBound(await index(), bound)) await drop(item, 'otlp_evicted');
    },
    isEmpty() {
      return items !== undefined && items.length === 0;
    },
  };
}
