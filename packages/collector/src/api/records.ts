// GET /api/records as the collector meant it before upstream commit 8f8b3f1 (spec §5; upstream
// always answers 500, bug B2), plus what upstream lacks, each an opt-in parameter so upstream's
// answers stay byte for byte (vectors/collector/api):
//   event_id=<32 hex>        exact match on the record's event id
//   since=<s>, until=<s>     server receipt time in [since, until) (Unix seconds); either one
//                            replaces the 30-day window
//   before_id=<id>           cursor: only ids below it. A full page carries a `Link: <...>;
//                            rel="next"` header (and X-Next-Before-Id) for the next page
//   format=ndjson            (or Accept: application/x-ndjson) one record JSON per line, every
//                            matching record (paged internally), no limit unless one is given
// `limit` keeps upstream's string comparison with "1000" (bug B3) so the vectors replay
// unchanged: only 1, 10, 100, 1000 and values starting with 0 are accepted. [pure]
import { isAsciiDigits, isPyPrintable, pyJsonDumps } from '../ingest/py-compat.ts';
import { formatTimestamp, messageBody } from '../ingest/validate.ts';

const MAX_WINDOW_SEC = 30 * 86400;
export const DEFAULT_LIMIT = 1000;

export interface RecordsFilter {
  readonly severity?: number;
  readonly classification?: string;
  readonly build?: string;
  readonly machineId?: string;
  readonly eventId?: string;
  /** timestamp_server > sinceExclusive (upstream's window) */
  readonly sinceExclusive?: number;
  /** timestamp_server >= since */
  readonly since?: number;
  /** timestamp_server < until */
  readonly until?: number;
  readonly fromId?: number;
  readonly beforeId?: number;
  readonly tsCapture?: number;
  /** undefined: no limit (NDJSON export without `limit`). */
  readonly limit?: number;
  readonly ndjson: boolean;
}

export type ParsedQuery = { readonly filter: RecordsFilter } | { readonly message: string };

const digits = (v: string | null): v is string => v !== null && isAsciiDigits(v);

/** Validates the parameters in upstream's order; the first failure's message wins. */
export function parseRecordsQuery(params: URLSearchParams, nowSec: number, wantsNdjson = false): ParsedQuery {
  const f: { -readonly [K in keyof RecordsFilter]: RecordsFilter[K] } = { ndjson: wantsNdjson };
  const severity = params.get('severity');
  if (severity !== null) {
    if (!digits(severity) || Number(severity) < 1 || Number(severity) > 4)
      return { message: 'Severity should be a numeric value' };
    f.severity = Number(severity);
  }
  const classification = params.get('classification');
  if (classification !== null) {
    if (classification.split('/').length !== 3) return { message: 'Classification value is invalid' };
    f.classification = classification;
  }
  const buildParam = params.get('build');
  if (buildParam !== null) {
    const build = buildParam.replaceAll('"', '').replaceAll("'", '');
    if (build.length >= 200 || !isPyPrintable(build)) return { message: 'Build value is invalid' };
    f.build = build;
  }
  const machineId = params.get('machine_id');
  if (machineId !== null) {
    if (machineId.length > 32) return { message: 'Machine id value is invalid' };
    f.machineId = machineId;
  }
  const days = params.get('created_in_days');
  if (days !== null && !digits(days)) return { message: 'Created (in days) value is invalid' };
  const secs = params.get('created_in_sec');
  if (secs !== null && !digits(secs)) return { message: 'Created (in seconds) value is invalid' };
  const fromId = params.get('from_id');
  if (fromId !== null) {
    if (!digits(fromId)) return { message: 'Provided record id value is invalid' };
    f.fromId = Number(fromId);
  }
  const tsCapture = params.get('ts_capture');
  if (tsCapture !== null) {
    if (!digits(tsCapture)) return { message: 'Time stamp from record capture' };
    f.tsCapture = Number(tsCapture);
  }
  const limit = params.get('limit');
  if (limit !== null && (!digits(limit) || limit > '1000'))
    return { message: 'Record limit value is invalid' };
  const extra = parseExtensions(params, f);
  if (extra !== undefined) return { message: extra };

  if (f.since === undefined && f.until === undefined) {
    const requested = days !== null ? Number(days) * 86400 : secs !== null ? Number(secs) : MAX_WINDOW_SEC;
    f.sinceExclusive = nowSec - Math.min(requested, MAX_WINDOW_SEC);
  }
  if (limit !== null) f.limit = Number(limit);
  else if (!f.ndjson) f.limit = DEFAULT_LIMIT;
  return { filter: f };
}

const SECONDS = /^[0-9]+(\.[0-9]+)?$/;

/** The parameters upstream lacks; the message of the first invalid one. */
function parseExtensions(
  params: URLSearchParams,
  f: { -readonly [K in keyof RecordsFilter]: RecordsFilter[K] },
): string | undefined {
  const eventId = params.get('event_id');
  if (eventId !== null) {
    if (!/^[0-9a-f]{32}$/.test(eventId)) return 'Event id is invalid';
    f.eventId = eventId;
  }
  const since = params.get('since');
  if (since !== null) {
    if (!SECONDS.test(since)) return 'since is invalid (Unix seconds)';
    f.since = Number(since);
  }
  const until = params.get('until');
  if (until !== null) {
    if (!SECONDS.test(until)) return 'until is invalid (Unix seconds)';
    f.until = Number(until);
  }
  const beforeId = params.get('before_id');
  if (beforeId !== null) {
    if (!digits(beforeId)) return 'before_id is invalid';
    f.beforeId = Number(beforeId);
  }
  const format = params.get('format');
  if (format !== null) {
    if (format !== 'json' && format !== 'ndjson') return 'format is invalid (json or ndjson)';
    f.ndjson = format === 'ndjson';
  }
  return undefined;
}

/** The SELECT for a filter (newest first), with `limit` rows at most. [pure] */
export function recordsSql(
  filter: RecordsFilter,
  limit: number | undefined,
): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, value: unknown): void => {
    params.push(value);
    where.push(clause.replace('?', `$${params.length}`));
  };
  if (filter.sinceExclusive !== undefined) add('timestamp_server > ?', filter.sinceExclusive);
  if (filter.since !== undefined) add('timestamp_server >= ?', filter.since);
  if (filter.until !== undefined) add('timestamp_server < ?', filter.until);
  if (filter.severity !== undefined) add('severity = ?', filter.severity);
  if (filter.classification !== undefined) add('classification = ?', filter.classification);
  if (filter.build !== undefined) add('build = ?', filter.build);
  if (filter.machineId !== undefined) add('machine_id = ?', filter.machineId);
  if (filter.eventId !== undefined) add('event_id = ?', filter.eventId);
  if (filter.fromId !== undefined) add('id >= ?', filter.fromId);
  if (filter.beforeId !== undefined) add('id < ?', filter.beforeId);
  if (filter.tsCapture !== undefined) add('timestamp_client > ?', filter.tsCapture);
  let sql = `SELECT ${RECORD_COLUMNS} FROM records`;
  if (where.length > 0) sql += ` WHERE ${where.join(' AND ')}`;
  sql += ' ORDER BY id DESC';
  if (limit !== undefined) sql += ` LIMIT ${Math.floor(limit)}`;
  return { sql, params };
}

export const RECORD_COLUMNS =
  'id, architecture, bios_version, board_name, build, classification, cpu_model, event_id, external, ' +
  'host_type, kernel_version, machine_id, record_version, severity, timestamp_client, timestamp_server, payload';

export interface RecordRow {
  readonly id: number;
  readonly architecture: string | null;
  readonly bios_version: string | null;
  readonly board_name: string | null;
  readonly build: string;
  readonly classification: string;
  readonly cpu_model: string | null;
  readonly event_id: string | null;
  readonly external: boolean | number | null;
  readonly host_type: string | null;
  readonly kernel_version: string | null;
  readonly machine_id: string | null;
  readonly record_version: number | null;
  readonly severity: number | null;
  readonly timestamp_client: number | string | null;
  readonly timestamp_server: number | string;
  readonly payload: string;
}

const tsText = (v: number | string | null): string | null => (v === null ? null : formatTimestamp(Number(v)));

/** A row as upstream's Record.to_dict() shows it (the 201 body and /api/records), keys sorted. */
export function rowJson(row: RecordRow): string {
  return pyJsonDumps({
    arch: row.architecture,
    bios_version: row.bios_version,
    board_name: row.board_name,
    build: row.build,
    classification: row.classification,
    cpu_model: row.cpu_model,
    event_id: row.event_id,
    external: row.external === null ? null : Boolean(row.external),
    id: Number(row.id),
    kernel_version: row.kernel_version,
    machine_id: row.machine_id,
    machine_type: row.host_type,
    payload: row.payload,
    record_version: row.record_version === null ? null : Number(row.record_version),
    severity: row.severity === null ? null : Number(row.severity),
    ts_capture: tsText(row.timestamp_client),
    ts_reception: tsText(row.timestamp_server),
  });
}

export function badQuery(message: string): string {
  return messageBody(message);
}
