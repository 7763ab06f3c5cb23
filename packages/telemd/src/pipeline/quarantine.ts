// Files the spool will not deliver are moved to <spool_dir>/.quarantine/
// instead of being deleted (C deleted them silently, BUG-48) or retried
// forever (one corrupt file must not wedge delivery, Vector #17644). Two
// kinds, kept apart because they are worth different things:
// - refused: records the server refused for good (4xx other than 404/408/429),
//   with its answer: a record an administrator may want to fix and resend;
// - junk: unparsable files, files owned by another uid, non-regular entries
//   (symlinks are renamed as links, never followed).
// Each entry gets a side file `<entry>.reason.json` saying why. Each kind has
// its own bound (files and bytes): past it, the oldest of THAT kind are evicted,
// so junk can never push a refused record out (issue 15: one 5 MiB garbage file
// emptied the quarantine of every refused record). A file larger than its
// kind's byte bound is not taken in at all: it is deleted, logged and counted.
// Every eviction and refusal to take in is logged, counted (`dropped`) and,
// when the file is a readable record, journaled in the `.dropped` side file.
import path from 'node:path';
import { lstat, mkdir, readdir, readFile, rename, rm } from '@telemetrics/libtelemetry/internal/fs-async';
import type { Logger } from '@telemetrics/libtelemetry/log';
import { decodeSpoolFile, MAX_SPOOL_FILE_BYTES } from '@telemetrics/libtelemetry/wire';
import type { RecordFateJournal } from './journal-hook.ts';
import type { Metrics } from '../observe/metrics.ts';
import { writeFileDurably } from '../write-durably.ts';
import type { SpoolStore } from '../spool/store.ts';

export const QUARANTINE_DIR = '.quarantine';
/** Refused records: each at most ~9 KiB, so the file count is the bound that matters. */
export const QUARANTINE_MAX_FILES = 200;
export const QUARANTINE_MAX_BYTES = 4 * 1024 * 1024;
/** Junk is kept for a look, not for delivery: fewer entries. */
export const QUARANTINE_JUNK_MAX_FILES = 50;
const REASON_SUFFIX = '.reason.json';

export type QuarantineReason = 'format' | 'foreign' | 'not-regular' | 'permanent';
export type QuarantineKind = 'refused' | 'junk';

export interface QuarantineNote {
  readonly reason: QuarantineReason;
  readonly detail: string;
  /** HTTP status of a permanent refusal. */
  readonly status?: number | undefined;
}

/** 'too-large': deleted instead (bigger than its kind's byte bound); 'gone': someone removed it first. */
export type MoveResult = 'moved' | 'gone' | 'failed' | 'too-large';

/** Who hears of evictions: counters and the `.dropped` journal. */
export interface QuarantineReporting {
  readonly metrics?: Metrics | undefined;
  readonly journal?: RecordFateJournal | undefined;
}

export interface Quarantine {
  readonly dir: string;
  /** Move `<spool>/<name>` into quarantine; 'failed' was logged. */
  move(name: string, note: QuarantineNote, reporting?: QuarantineReporting): Promise<MoveResult>;
}

export interface QuarantineBound {
  readonly files: number;
  readonly bytes: number;
}

export interface QuarantineOptions {
  readonly spoolDir: string;
  readonly logger: Logger;
  /** Both kinds' file bound, unless refused/junk say otherwise. */
  readonly maxFiles?: number;
  /** Both kinds' byte bound, unless refused/junk say otherwise. */
  readonly maxBytes?: number;
  readonly refused?: Partial<QuarantineBound>;
  readonly junk?: Partial<QuarantineBound>;
  readonly wallNow?: () => number;
}

export function kindOf(reason: QuarantineReason): QuarantineKind {
  return reason === 'permanent' ? 'refused' : 'junk';
}

/** `<ms, 14 digits>-<kind>-<original name>`: sorts by quarantine time, says its kind, keeps the name. */
const ENTRY_NAME = /^\d{14}-(refused|junk)-/;

/** Entries written before kinds existed (`<ms>-<name>`) count as junk: their refusals were not told apart. */
function kindOfEntry(entry: string): QuarantineKind {
  return ENTRY_NAME.exec(entry)?.[1] === 'refused' ? 'refused' : 'junk';
}

interface Item {
  readonly name: string;
  readonly bytes: number;
}

/** The oldest entries to evict so that `items` (sorted oldest first) fit `bound`. Pure. */
export function overBound(items: readonly Item[], bound: QuarantineBound): Item[] {
  let total = items.reduce((s, i) => s + i.bytes, 0);
  let count = items.length;
  const out: Item[] = [];
  for (const item of items) {
    if (count <= bound.files && total <= bound.bytes) break;
    out.push(item);
    count--;
    total -= item.bytes;
  }
  return out;
}

export function createQuarantine(options: QuarantineOptions): Quarantine {
  const qdir = path.join(options.spoolDir, QUARANTINE_DIR);
  const bytes = options.maxBytes ?? QUARANTINE_MAX_BYTES;
  const bounds: Record<QuarantineKind, QuarantineBound> = {
    refused: {
      files: options.refused?.files ?? options.maxFiles ?? QUARANTINE_MAX_FILES,
      bytes: options.refused?.bytes ?? bytes,
    },
    junk: {
      files: options.junk?.files ?? options.maxFiles ?? QUARANTINE_JUNK_MAX_FILES,
      bytes: options.junk?.bytes ?? bytes,
    },
  };
  const wallNow = options.wallNow ?? Date.now;
  const { logger } = options;

  /** Journal a file we give up on, if it is a readable record (junk usually is not). */
  async function journalDropped(file: string, reason: string, reporting: QuarantineReporting): Promise<void> {
    if (!reporting.journal) return;
    try {
      const st = await lstat(file);
      if (!st.isFile() || st.size > MAX_SPOOL_FILE_BYTES) return;
      const decoded = decodeSpoolFile(await readFile(file));
      if (decoded.ok) await reporting.journal.recordDropped(decoded.value, reason);
    } catch {
      // unreadable: the log line and the counter say what was lost
    }
  }

  async function trim(kind: QuarantineKind, reporting: QuarantineReporting): Promise<void> {
    const names = (await readdir(qdir)).filter((n) => !n.endsWith(REASON_SUFFIX) && kindOfEntry(n) === kind);
    const items: Item[] = [];
    for (const name of names) {
      try {
        const st = await lstat(path.join(qdir, name));
        items.push({ name, bytes: st.isFile() ? st.size : 0 });
      } catch {
        // gone
      }
    }
    items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const bound = bounds[kind];
    for (const item of overBound(items, bound)) {
      const file = path.join(qdir, item.name);
      await journalDropped(file, `quarantine_evicted_${kind}`, reporting);
      await rm(file, { recursive: true, force: true });
      await rm(file + REASON_SUFFIX, { force: true });
      reporting.metrics?.dropped('quarantine_evicted', { name: item.name, kind });
      logger.log('warning', 'quarantine full, deleted its oldest entry of that kind', {
        path: file,
        kind,
        bytes: item.bytes,
        max_files: bound.files,
        max_bytes: bound.bytes,
      });
    }
  }

  /** A file bigger than its kind's whole bound would evict everything of that kind: not taken in. */
  async function refuseTooLarge(
    from: string,
    size: number,
    kind: QuarantineKind,
    note: QuarantineNote,
    reporting: QuarantineReporting,
  ): Promise<MoveResult> {
    await journalDropped(from, 'quarantine_too_large', reporting);
    try {
      await rm(from, { force: true });
    } catch (err) {
      logger.log('err', 'cannot remove a spool entry too large for the quarantine', {
        path: from,
        code: (err as NodeJS.ErrnoException).code,
      });
      return 'failed';
    }
    reporting.metrics?.dropped('quarantine_too_large', { path: from, kind, bytes: size });
    logger.log('warning', 'spool entry too large for the quarantine, deleted', {
      path: from,
      kind,
      bytes: size,
      max_bytes: bounds[kind].bytes,
      reason: note.reason,
      detail: note.detail,
    });
    return 'too-large';
  }

  return {
    dir: qdir,
    async move(name, note, reporting = {}) {
      const from = path.join(options.spoolDir, name);
      const kind = kindOf(note.reason);
      const at = wallNow();
      const target = `${String(at).padStart(14, '0')}-${kind}-${name}`;
      try {
        const st = await lstat(from);
        if (st.isFile() && st.size > bounds[kind].bytes)
          return await refuseTooLarge(from, st.size, kind, note, reporting);
        await mkdir(qdir, { recursive: true, mode: 0o700 });
        await rename(from, path.join(qdir, target));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return 'gone';
        logger.log('err', 'cannot move spool entry to quarantine', { path: from, code, reason: note.reason });
        return 'failed';
      }
      const side = { version: 1, name, kind, at: new Date(at).toISOString(), ...note };
      // Written durably so a reader (telemctl, an admin, a test) never sees a half-written note.
      await writeFileDurably(
        path.join(qdir, target + REASON_SUFFIX),
        `${JSON.stringify(side)}\n`,
        0o600,
      ).catch((err: Error) =>
        logger.log('warning', 'cannot write quarantine note', { path: qdir, detail: err.message }),
      );
      logger.log('warning', 'spool entry quarantined', {
        path: path.join(qdir, target),
        kind,
        reason: note.reason,
        status: note.status,
        detail: note.detail,
      });
      await trim(kind, reporting).catch((err: Error) =>
        logger.log('err', 'cannot trim quarantine', { path: qdir, detail: err.message }),
      );
      return 'moved';
    },
  };
}

/**
 * Move a spool entry to quarantine and account for it: the store forgets it,
 * `quarantined` is counted, a permanent refusal becomes the last delivery
 * error. One path for the drainer and the pipeline.
 */
export async function quarantineEntry(
  deps: {
    readonly store: SpoolStore;
    readonly quarantine: Quarantine;
    readonly metrics: Metrics;
    readonly journal?: RecordFateJournal | undefined;
  },
  name: string,
  note: QuarantineNote,
): Promise<MoveResult> {
  if (note.reason === 'permanent') deps.metrics.deliveryError({ status: note.status, message: note.detail });
  const result = await deps.quarantine.move(name, note, { metrics: deps.metrics, journal: deps.journal });
  if (result !== 'failed') deps.store.forget(name);
  if (result === 'moved') deps.metrics.inc('quarantined', { name, reason: note.reason, status: note.status });
  return result;
}
