// `telemctl journal`: C's telem_journal (spec c-client.md 10.3), run in
// process instead of through a shell, with its real exit status (BUG-42).
import {
  droppedJournalPath,
  type JournalEntry,
  readJournal,
  readRetainedPayload,
} from '@telemetrics/libtelemetry/journal';
import type { CommandContext, OptionsTable, OptionValues } from '../command.ts';
import {
  entryMatches,
  formatJournalFooter,
  formatJournalJson,
  formatJournalLine,
  formatRetainedPayload,
  JOURNAL_HEADER,
  type JournalFilter,
} from '../format/journal-table.ts';

export const name = 'journal';
export const summary =
  'Prints telemetry journal contents. Use -h argument with\n            command for more options';
export const needsRoot = true;

export const options: OptionsTable = {
  record_id: { type: 'string', short: 'r', value: 'ID', help: 'Print record with specific record_id' },
  event_id: { type: 'string', short: 'e', value: 'ID', help: 'Print records with specific event_id' },
  classification: {
    type: 'string',
    short: 'c',
    value: 'CLASS',
    help: 'Print records with specific classification (see CLASS FILTER)',
  },
  boot_id: { type: 'string', short: 'b', value: 'ID', help: 'Print records with specific boot_id' },
  include_record: {
    type: 'boolean',
    short: 'i',
    help: 'Include record content if available. Content only available when\ntelemetry is configured with "record_retention_enabled=true"',
  },
  verbose: { type: 'boolean', short: 'V', help: 'Verbose output: column header and "Total records: N"' },
  json: { type: 'boolean', help: 'One JSON object per entry instead of columns (-V is ignored)' },
  dropped: {
    type: 'boolean',
    help: 'List the records telemd gave up on (journal_file + ".dropped")\ninstead, with the reason as a last column',
  },
};

export const description = `Prints the journal (journal_file, default /var/log/telemetry/journal): one line
per record telemd delivered or kept local, oldest first. Only the last 100
entries of the file are considered; the filters apply to those and combine
with AND. Times are local (set TZ to change the zone).

CLASS FILTER
  -c a/b/c    exactly this classification
  -c a/b/*    every classification starting with "a/b/" (C's prefix form)
  -c a/b/     the same, without the shell-sensitive "*"
  -c a/b      a/b exactly, or every classification whose leading segments
              are a/b: "-c org.clearlinux/crash" lists all crash records
              (org.clearlinux/crash/clr, ...), but not org.clearlinux/crashes/x

OUTPUT
  Columns: classification (padded to 30), time ("%a %Y-%m-%d %H:%M:%S %Z"),
  record id, event id, boot id: the layout of C's telem_journal.
  --json prints {"record_id","timestamp","time","classification","event_id",
  "boot_id"} per line, plus "payload" (string or null) with -i, and
  "reason" with --dropped.

DROPPED RECORDS
  Records that were not delivered and not kept (spool full, expired,
  quarantined, refused by the server) are not in the journal: telemd lists
  them in journal_file + ".dropped", the same lines with a 6th field, the
  reason. --dropped shows that file with the same options.

EXIT STATUS
  0  success, also when no entry matches
  1  the journal cannot be read ("Unable to open journal"), or a usage error
     (also an -e or -r that is not 32 characters of 0123456789abcdef)`;

async function printEntry(ctx: CommandContext, e: JournalEntry, values: OptionValues): Promise<boolean> {
  const include = values['include_record'] === true;
  const payload = include
    ? await readRetainedPayload(ctx.config.record_retention_dir, e.recordId)
    : undefined;
  if (values['json'] === true) {
    ctx.out(formatJournalJson(e, payload));
    return true;
  }
  let line: string;
  try {
    line = formatJournalLine(e);
  } catch {
    // C skips (and does not count) an entry whose strftime fails.
    return false;
  }
  ctx.out(e.note === undefined ? line : `${line.slice(0, -1)} ${e.note}\n`);
  if (payload) ctx.out(formatRetainedPayload(payload));
  return true;
}

/** Ids that are 32 hex digits in every journal line: a filter of another shape can match nothing. */
const HEX_ID_OPTIONS = { event_id: 'event id (-e)', record_id: 'record id (-r)' } as const;
const HEX_ID = /^[0-9a-f]{32}$/;

export async function run(ctx: CommandContext, values: OptionValues): Promise<number> {
  const str = (key: string) => (typeof values[key] === 'string' ? (values[key] as string) : undefined);
  for (const [key, what] of Object.entries(HEX_ID_OPTIONS)) {
    const value = str(key);
    if (value !== undefined && !HEX_ID.test(value)) {
      ctx.err(`${ctx.argv0}: journal: ${what} must be 32 characters of 0123456789abcdef, not "${value}"\n`);
      return 1;
    }
  }
  const filter: JournalFilter = {
    recordId: str('record_id'),
    eventId: str('event_id'),
    bootId: str('boot_id'),
    classification: str('classification'),
  };
  let entries: JournalEntry[];
  try {
    const file =
      values['dropped'] === true ? droppedJournalPath(ctx.config.journal_file) : ctx.config.journal_file;
    entries = (await readJournal(file)).entries;
  } catch {
    ctx.err('Unable to open journal\n');
    return 1;
  }
  const verbose = values['verbose'] === true && values['json'] !== true;
  if (verbose) ctx.out(JOURNAL_HEADER);
  let printed = 0;
  for (const e of entries) {
    if (entryMatches(filter, e) && (await printEntry(ctx, e, values))) printed++;
  }
  if (verbose) ctx.out(formatJournalFooter(printed));
  return 0;
}
