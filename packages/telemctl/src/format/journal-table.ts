// The text telem_journal prints (spec c-client.md 10.3), byte for byte, plus
// our class filter and JSON lines. Pure: entries, payloads and the time zone
// come in; strings go out.
import type { JournalEntry } from '@telemetrics/libtelemetry/internal/journal';

export interface JournalFilter {
  readonly recordId?: string | undefined;
  readonly eventId?: string | undefined;
  readonly bootId?: string | undefined;
  readonly classification?: string | undefined;
}

/**
 * The -c rule:
 *  - `x/*` (C form): entries whose classification starts with `x/`;
 *  - a value ending in `/`: entries starting with it;
 *  - otherwise: the exact classification, or any classification of which it
 *    is a whole leading segment run (`org.clearlinux/crash` matches
 *    `org.clearlinux/crash/clr`, not `org.clearlinux/crashes/x`).
 * C had only the first form and exact matches (and read before short
 * strings, BUG-32); exact values behave as in C.
 */
export function classificationMatches(pattern: string, classification: string): boolean {
  if (pattern.endsWith('/*')) return classification.startsWith(pattern.slice(0, -1));
  if (pattern.endsWith('/')) return classification.startsWith(pattern);
  return classification === pattern || classification.startsWith(`${pattern}/`);
}

export function entryMatches(filter: JournalFilter, e: JournalEntry): boolean {
  if (filter.recordId !== undefined && e.recordId !== filter.recordId) return false;
  if (filter.eventId !== undefined && e.eventId !== filter.eventId) return false;
  if (filter.bootId !== undefined && e.bootId !== filter.bootId) return false;
  if (
    filter.classification !== undefined &&
    !classificationMatches(filter.classification, e.classification)
  ) {
    return false;
  }
  return true;
}

const zoneFormatters = new Map<string, Intl.DateTimeFormat[]>();

function formatters(timeZone: string | undefined): Intl.DateTimeFormat[] {
  const key = timeZone ?? '';
  let found = zoneFormatters.get(key);
  if (!found) {
    const opts: Intl.DateTimeFormatOptions = {
      timeZone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    };
    // en-US names American zones (EST), en-GB European ones (CET) where glibc would.
    found = [new Intl.DateTimeFormat('en-US', opts), new Intl.DateTimeFormat('en-GB', opts)];
    zoneFormatters.set(key, found);
  }
  return found;
}

/**
 * strftime("%a %Y-%m-%d %H:%M:%S %Z", localtime(t)) in the C locale. The zone
 * abbreviation comes from ICU; for zones where neither en-US nor en-GB has
 * one (glibc's tzdata may), it reads `GMT+9` instead of e.g. `JST`.
 */
export function formatJournalTime(epochSeconds: number, timeZone?: string): string {
  const date = new Date(epochSeconds * 1000);
  const [, gb] = formatters(timeZone) as [Intl.DateTimeFormat, Intl.DateTimeFormat];
  const parts = localParts(date, timeZone);
  let zone = parts['timeZoneName'] ?? '';
  if (/^GMT[+-]/.test(zone)) {
    const alt = gb.formatToParts(date).find((p) => p.type === 'timeZoneName')?.value;
    if (alt && !/^(GMT|UTC)[+-]/.test(alt)) zone = alt;
  }
  if (zone === 'GMT' && timeZone !== undefined && /^(UTC|Etc\/UTC|UCT|Etc\/UCT)$/.test(timeZone))
    zone = 'UTC';
  return `${parts['weekday']} ${dateTime(parts)} ${zone}`;
}

/** `YYYY-MM-DD HH:MM:SS` in the local zone (TZ), or the zone given: the middle of formatJournalTime(). */
export function formatLocalDateTime(epochSeconds: number, timeZone?: string): string {
  return dateTime(localParts(new Date(epochSeconds * 1000), timeZone));
}

function localParts(date: Date, timeZone: string | undefined): Record<string, string> {
  const parts: Record<string, string> = {};
  for (const p of formatters(timeZone)[0]!.formatToParts(date)) parts[p.type] = p.value;
  return parts;
}

function dateTime(parts: Record<string, string>): string {
  return `${parts['year']}-${parts['month']}-${parts['day']} ${parts['hour']}:${parts['minute']}:${parts['second']}`;
}

/** printf("%-30s %-27s %-32s %-32s %-36s\n", ...) of print_journal(). */
export const JOURNAL_HEADER = `${'Classification'.padEnd(30)} ${'Time stamp'.padEnd(27)} ${'Record ID'.padEnd(32)} ${'Event ID'.padEnd(32)} ${'Boot ID'.padEnd(36)}\n`;

/** printf("%-30s %s %s %s %s\n", ...) of print_journal(). */
export function formatJournalLine(e: JournalEntry, timeZone?: string): string {
  return `${e.classification.padEnd(30)} ${formatJournalTime(e.timestamp, timeZone)} ${e.recordId} ${e.eventId} ${e.bootId}\n`;
}

/**
 * A retained payload as printed after its line: verbatim, plus one LF when it
 * does not end with one (ours store the bare payload; C's files always end
 * with "\n\n" and print unchanged).
 */
export function formatRetainedPayload(payload: Uint8Array): string {
  const text = Buffer.from(payload).toString('latin1');
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

export function formatJournalFooter(count: number): string {
  return `Total records: ${count}\n`;
}

/** One JSON object per entry (`--json`); payload only with -i (null when none is kept). */
export function formatJournalJson(e: JournalEntry, payload?: Uint8Array | null): string {
  const obj: Record<string, unknown> = {
    record_id: e.recordId,
    timestamp: e.timestamp,
    time: Number.isFinite(e.timestamp * 1000) ? safeIso(e.timestamp) : null,
    classification: e.classification,
    event_id: e.eventId,
    boot_id: e.bootId,
  };
  if (e.note !== undefined) obj['reason'] = e.note;
  if (payload !== undefined) obj['payload'] = payload === null ? null : Buffer.from(payload).toString('utf8');
  return `${JSON.stringify(obj)}\n`;
}

function safeIso(epochSeconds: number): string | null {
  const d = new Date(epochSeconds * 1000);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
