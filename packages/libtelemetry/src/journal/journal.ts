// The journal file writer (spec c-client.md 10.1): one RS-separated line per
// record the daemon processed, pruned from above 150 entries back to 100.
// Crash safety: each entry is one O_APPEND write of a whole line followed by
// fdatasync, so a reader sees either nothing or the whole line; a line torn by
// a crash has no LF and is ignored by readers and cut off at the next open.
// Pruning writes the survivors to a temp file, fsyncs it, renames it over the
// journal and fsyncs the directory, so the journal is never half-pruned.

import { randomBytes } from '../random.ts';
import { constants } from 'node:fs';
import * as fsa from '../fs-async.ts';
import path from 'node:path';
import { ErrorCodes, fail, type ParseResult, TelemetryError } from '../errors.ts';
import type { Logger } from '../log.ts';
import {
  BOOT_ID_LENGTH,
  JOURNAL_PRUNE_THRESHOLD,
  JOURNAL_RECORD_LIMIT,
  type JournalEntry,
  parseJournalLine,
  serializeJournalEntry,
  splitJournalLines,
  validateJournalEntry,
} from '../wire/journal-entry.ts';

export const DEFAULT_BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';
/** Written when the boot id cannot be read: the entry matters more than the boot id. */
export const UNKNOWN_BOOT_ID = '00000000-0000-0000-0000-000000000000';

/**
 * The side file of records telemd gave up on (dropped, expired, quarantined):
 * journal lines with a 6th field, the reason. Kept apart so the C viewer and
 * `telemctl journal` list only records that were sent or kept local.
 */
export function droppedJournalPath(journalFile: string): string {
  return `${journalFile}.dropped`;
}

export interface JournalOptions {
  readonly path: string;
  readonly bootIdFile?: string;
  /** Randomness for record ids (bytes). */
  readonly random?: (size: number) => Uint8Array;
  /** Wall clock in ms; the entry timestamp is its epoch second. */
  readonly now?: () => number;
  /** Called after a prune for every removed record id (retention deletes the payload). */
  readonly onPrune?: (recordId: string) => void | Promise<void>;
  readonly logger?: Logger;
  /** Entries kept by a prune (C RECORD_LIMIT = 100). */
  readonly keepEntries?: number;
  /** Prune when the entry count exceeds this (C RECORD_LIMIT + DEVIATION = 150). */
  readonly pruneAbove?: number;
}

export interface JournalAppendInput {
  readonly classification: string;
  readonly eventId: string;
  /** Epoch seconds; defaults to now(). */
  readonly timestamp?: number;
  /** Optional 6th field (see JournalEntry.note); only for side files, never the C journal. */
  readonly note?: string;
}

export interface Journal {
  /**
   * Appends one entry with a fresh record id. An input C would reject (invalid
   * classification or event id) is returned as a failure and nothing is
   * written; I/O errors throw a TelemetryError (TELEM_JOURNAL_IO).
   */
  append(input: JournalAppendInput): Promise<ParseResult<JournalEntry>>;
  /** Prunes now if above the threshold; returns the number of removed lines. */
  prune(): Promise<number>;
  /** Lines currently in the file (complete ones). */
  readonly count: number;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

// Read-write: the open reads the existing lines and may cut a torn tail.
const APPEND_FLAGS = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

function ioError(message: string, cause: unknown): TelemetryError {
  return new TelemetryError(ErrorCodes.TELEM_JOURNAL_IO, message, { cause });
}

export async function openJournal(options: JournalOptions): Promise<Journal> {
  const file = options.path;
  const dir = path.dirname(file);
  const bootIdFile = options.bootIdFile ?? DEFAULT_BOOT_ID_FILE;
  const random = options.random ?? ((n: number) => randomBytes(n));
  const now = options.now ?? Date.now;
  const keep = options.keepEntries ?? JOURNAL_RECORD_LIMIT;
  const pruneAbove = options.pruneAbove ?? JOURNAL_PRUNE_THRESHOLD;
  const logger = options.logger;

  // The journal's descriptor, open for appends from openHandle() until close().
  let fd: number;
  let count = 0;
  let closed = false;
  // Appends and prunes run one at a time, in call order.
  let queue: Promise<unknown> = Promise.resolve();
  let bootId: string | undefined;

  async function openHandle(): Promise<void> {
    try {
      await fsa.mkdir(dir, { recursive: true, mode: 0o750 });
      fd = await fsa.open(file, APPEND_FLAGS, 0o644);
      const text = (await fsa.readFile(fd)).toString('latin1');
      const { lines, partialTail } = splitJournalLines(text);
      if (partialTail !== '') {
        // A crash tore the last append: cut it, or the next line would be glued to it.
        await fsa.ftruncate(fd, text.length - partialTail.length);
        await fsa.fdatasync(fd);
        logger?.log('warning', 'journal: removed a torn last line', {
          path: file,
          bytes: partialTail.length,
        });
      }
      count = lines.length;
    } catch (err) {
      throw ioError(`cannot open journal ${file}`, err);
    }
  }

  async function readBootId(): Promise<string> {
    if (bootId !== undefined) return bootId;
    try {
      // The boot id cannot change while this process lives, so it is read once.
      bootId = (await fsa.readFile(bootIdFile)).toString('latin1').slice(0, BOOT_ID_LENGTH).trim();
    } catch (err) {
      logger?.log('warning', 'journal: boot id unreadable', {
        path: bootIdFile,
        code: (err as NodeJS.ErrnoException).code,
      });
      bootId = UNKNOWN_BOOT_ID;
    }
    return bootId;
  }

  async function doPrune(): Promise<number> {
    if (count <= pruneAbove) return 0;
    let removed: string[];
    try {
      const text = (await fsa.readFile(file)).toString('latin1');
      const { lines } = splitJournalLines(text);
      const n = Math.max(0, lines.length - keep);
      removed = lines.slice(0, n);
      const kept = lines.slice(n);
      const tmp = path.join(dir, `.${path.basename(file)}.tmp`);
      await fsa.writeSynced(
        tmp,
        constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
        0o644,
        Buffer.from(kept.length ? `${kept.join('\n')}\n` : '', 'latin1'),
      );
      await fsa.rename(tmp, file);
      await fsa.fsyncDir(dir);
      await fsa.close(fd);
      fd = await fsa.open(file, APPEND_FLAGS, 0o644);
      count = kept.length;
    } catch (err) {
      throw ioError(`cannot prune journal ${file}`, err);
    }
    if (options.onPrune) {
      for (const line of removed) {
        const entry = parseJournalLine(line);
        if (!entry) continue;
        try {
          await options.onPrune(entry.recordId);
        } catch (err) {
          logger?.log('warning', 'journal: prune callback failed', {
            record_id: entry.recordId,
            error: (err as Error).message,
          });
        }
      }
    }
    return removed.length;
  }

  // Appends that arrive while the journal is busy (a delivery burst) are written together: one
  // write(2) and one fdatasync for the batch instead of one each per record, the journal's main
  // cost while the spool drains. Each caller still learns of its own line only once it is durable.
  interface PendingAppend {
    readonly input: JournalAppendInput;
    readonly resolve: (result: ParseResult<JournalEntry>) => void;
    readonly reject: (err: unknown) => void;
  }
  let batch: PendingAppend[] | undefined;

  async function writeBatch(items: PendingAppend[]): Promise<void> {
    if (batch === items) batch = undefined; // appends from now on start the next batch
    const boot = await readBootId();
    const written: Array<{ item: PendingAppend; result: ParseResult<JournalEntry> }> = [];
    const chunks: Buffer[] = [];
    for (const item of items) {
      const { input } = item;
      const entry: JournalEntry = {
        recordId: Buffer.from(random(16)).toString('hex'),
        timestamp: input.timestamp ?? Math.floor(now() / 1000),
        classification: input.classification,
        eventId: input.eventId,
        bootId: boot,
        ...(input.note === undefined ? {} : { note: input.note }),
      };
      const valid = validateJournalEntry(entry);
      if (!valid.ok) {
        item.resolve(fail(valid.code, valid.detail));
        continue;
      }
      written.push({ item, result: valid });
      chunks.push(Buffer.from(serializeJournalEntry(entry), 'latin1'));
    }
    if (written.length === 0) return;
    try {
      try {
        const bytes = Buffer.concat(chunks);
        await fsa.writeAll(fd, bytes);
        await fsa.fdatasync(fd);
      } catch (err) {
        throw ioError(`cannot append to journal ${file}`, err);
      }
      count += written.length;
      await doPrune();
    } catch (err) {
      for (const { item } of written) item.reject(err);
      return;
    }
    for (const { item, result } of written) item.resolve(result);
  }

  function append(input: JournalAppendInput): Promise<ParseResult<JournalEntry>> {
    return new Promise((resolve, reject) => {
      if (closed) {
        reject(new TelemetryError(ErrorCodes.TELEM_JOURNAL_IO, 'journal is closed'));
        return;
      }
      if (batch === undefined) {
        const items: PendingAppend[] = [];
        batch = items;
        enqueue(() => writeBatch(items)).catch((err: unknown) => {
          // writeBatch rejects its items itself; this is a failure before it got to them.
          for (const item of items) item.reject(err);
        });
      }
      batch.push({ input, resolve, reject });
    });
  }

  function enqueue<T>(job: () => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(new TelemetryError(ErrorCodes.TELEM_JOURNAL_IO, 'journal is closed'));
    const run = queue.then(job, job);
    queue = run.catch(() => undefined);
    return run;
  }

  await openHandle();

  const journal: Journal = {
    append,
    prune: () => enqueue(doPrune),
    get count() {
      return count;
    },
    async close() {
      if (closed) return queue.then(() => undefined);
      closed = true;
      await queue;
      await fsa.close(fd);
    },
    [Symbol.asyncDispose]() {
      return journal.close();
    },
  };
  return journal;
}
