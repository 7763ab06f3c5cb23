// The viewer's reader: the last lines of the journal, parsed like C's
// telem_journal (spec c-client.md 10.3). Reads only the tail of the file, so
// a journal that grew past its bounds (C pruned only on wake-ups) stays cheap.

import * as fsa from '../fs-async.ts';
import {
  JOURNAL_RECORD_LIMIT,
  type JournalEntry,
  parseJournalLines,
  splitJournalLines,
} from '../wire/journal-entry.ts';

/** Far more than 100 lines of <= ~260 bytes each. */
const TAIL_BYTES = 256 * 1024;

export interface JournalContents {
  /** Parsable entries among the considered lines, in file order. */
  readonly entries: JournalEntry[];
  /** Considered lines that were not entries (fewer than 5 fields). */
  readonly skipped: number;
  /** False when the file does not exist (an empty journal, like C's a+ open creating it). */
  readonly exists: boolean;
}

/**
 * Reads the last `limit` complete lines (C considers 100) and parses them. A
 * last line without LF is a write in progress and is ignored. Throws the
 * fs error when the file exists but cannot be read.
 */
export async function readJournal(
  file: string,
  options: { readonly limit?: number } = {},
): Promise<JournalContents> {
  const limit = options.limit ?? JOURNAL_RECORD_LIMIT;
  let fd: number;
  try {
    fd = await fsa.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], skipped: 0, exists: false };
    throw err;
  }
  let text: string;
  try {
    const { size } = await fsa.fstat(fd);
    const start = Math.max(0, size - TAIL_BYTES);
    const buffer = Buffer.alloc(size - start);
    const bytesRead = await fsa.read(fd, buffer, 0, buffer.length, start);
    text = buffer.subarray(0, bytesRead).toString('latin1');
    // Started mid-file: the first (partial) line is not a line.
    if (start > 0) text = text.slice(text.indexOf('\n') + 1);
  } finally {
    await fsa.close(fd);
  }
  const { lines } = splitJournalLines(text);
  const considered = lines.length > limit ? lines.slice(lines.length - limit) : lines;
  const { entries, skipped } = parseJournalLines(considered);
  return { entries, skipped, exists: true };
}
