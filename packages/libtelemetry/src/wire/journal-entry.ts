// One journal line of the C client (spec c-client.md 10.1):
//   record_id RS timestamp RS classification RS event_id RS boot_id LF   (RS = 0x1E)
// Pure: no I/O, no clock. The writer supplies the record id, time and boot id.

import { ErrorCodes, fail, ok, type ParseResult } from '../errors.ts';
import { classificationError, isValidEventId } from '../record.ts';

/** ASCII record separator between the fields of a journal line. */
export const JOURNAL_FIELD_SEPARATOR = '\x1e';
/** The C viewer only considers this many trailing lines (RECORD_LIMIT, spec 10.1). */
export const JOURNAL_RECORD_LIMIT = 100;
/** Pruning starts above RECORD_LIMIT + DEVIATION entries (spec 10.1). */
export const JOURNAL_PRUNE_THRESHOLD = 150;
/** Length of the boot id the C writer keeps (first 36 chars of /proc/.../boot_id). */
export const BOOT_ID_LENGTH = 36;

export interface JournalEntry {
  /** 32 lowercase hex, fresh per entry; not the event id, never sent to the server. */
  readonly recordId: string;
  /** Epoch seconds at which the daemon processed the record (not creation time). */
  readonly timestamp: number;
  readonly classification: string;
  readonly eventId: string;
  readonly bootId: string;
  /**
   * Optional 6th field, ours: why a record was not delivered (side file of
   * dropped records). C's parser ignores fields after the 5th.
   */
  readonly note?: string | undefined;
}

const HEX32 = /^[0-9a-f]{32}$/;

export function isJournalId(value: string): boolean {
  return HEX32.test(value);
}

/**
 * C validate_classification() (spec 3.3) as the SDK applies it (record.ts):
 * the C rules plus no empty string, control characters or non-ASCII, which
 * would also split a journal line (LF, RS).
 */
export function validateJournalClassification(value: string): ParseResult<string> {
  const reason = classificationError(value);
  return reason === null ? ok(value) : fail(ErrorCodes.TELEM_INVALID_CLASSIFICATION, reason);
}

/** new_journal_entry()'s checks: valid classification, event id of 32 lowercase hex. */
export function validateJournalEntry(entry: JournalEntry): ParseResult<JournalEntry> {
  const cls = validateJournalClassification(entry.classification);
  if (!cls.ok) return fail(cls.code, cls.detail);
  if (!isValidEventId(entry.eventId)) {
    return fail(ErrorCodes.TELEM_INVALID_EVENT_ID, 'event id is not 32 lowercase hex chars');
  }
  if (!HEX32.test(entry.recordId)) {
    return fail(ErrorCodes.TELEM_JOURNAL_FORMAT, 'record id is not 32 lowercase hex chars');
  }
  if (!Number.isSafeInteger(entry.timestamp)) {
    return fail(ErrorCodes.TELEM_JOURNAL_FORMAT, 'timestamp is not an integer');
  }
  if (/[\x00-\x1f\x7f]/.test(entry.bootId)) {
    return fail(ErrorCodes.TELEM_JOURNAL_FORMAT, 'boot id contains a control character');
  }
  if (entry.note !== undefined && !NOTE.test(entry.note)) {
    return fail(ErrorCodes.TELEM_JOURNAL_FORMAT, 'note is not 1-64 chars of [A-Za-z0-9_.:-]');
  }
  return ok(entry);
}

const NOTE = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * The line serialize_journal_entry() writes, LF included. Throws on an entry
 * that validateJournalEntry() rejects: writing it would corrupt the journal.
 */
export function serializeJournalEntry(entry: JournalEntry): string {
  const valid = validateJournalEntry(entry);
  if (!valid.ok) throw new TypeError(`invalid journal entry: ${valid.detail}`);
  const s = JOURNAL_FIELD_SEPARATOR;
  const note = entry.note === undefined ? '' : `${s}${entry.note}`;
  return `${entry.recordId}${s}${entry.timestamp}${s}${entry.classification}${s}${entry.eventId}${s}${entry.bootId}${note}\n`;
}

/** C atoll(): leading blanks, optional sign, digits; anything else ends it (0 if none). */
function atoll(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  if (!m) return 0;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : n > 0 ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
}

/**
 * deserialize_journal_entry(): one line without its LF. Tolerant like C: a
 * line with fewer than 5 fields gives null (skipped); a 6th field is our
 * note, later ones are ignored; the timestamp goes through atoll. Values are not validated: the
 * viewer shows what is there.
 */
export function parseJournalLine(line: string): JournalEntry | null {
  const fields = line.split(JOURNAL_FIELD_SEPARATOR);
  if (fields.length < 5) return null;
  const [recordId, timestamp, classification, eventId, bootId, note] = fields as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  const entry: JournalEntry = { recordId, timestamp: atoll(timestamp), classification, eventId, bootId };
  return note === undefined ? entry : { ...entry, note };
}

export interface ParsedJournal {
  /** Complete lines in file order (each without its LF); torn tail excluded. */
  readonly lines: readonly string[];
  /** Bytes after the last LF: a write in progress or torn by a crash; never shown. */
  readonly partialTail: string;
}

/** Splits journal text into complete lines; a last line without LF is not an entry. */
export function splitJournalLines(text: string): ParsedJournal {
  const end = text.lastIndexOf('\n');
  if (end < 0) return { lines: [], partialTail: text };
  return { lines: text.slice(0, end).split('\n'), partialTail: text.slice(end + 1) };
}

/** Parsable entries among `lines`, in order, with the count of skipped lines. */
export function parseJournalLines(lines: readonly string[]): {
  entries: JournalEntry[];
  skipped: number;
} {
  const entries: JournalEntry[] = [];
  let skipped = 0;
  for (const line of lines) {
    const entry = parseJournalLine(line);
    if (entry) entries.push(entry);
    else skipped++;
  }
  return { entries, skipped };
}
