// GET /api/records as the collector meant it before upstream commit 8f8b3f1
// (collector.md §5; upstream always answers 500, bug B2). [pure]
//
// `limit` keeps upstream's string comparison with "1000" (bug B3) so the
// api/ vectors replay unchanged: only 1, 10, 100, 1000 and values starting
// with 0 are accepted.
import { isAsciiDigits, isPyPrintable, pyJsonDumps } from '../../packages/collector/src/ingest/py-compat.ts';
import {
  messageBody,
  recordJson,
  type ValidatedRecord,
} from '../../packages/collector/src/ingest/validate.ts';

export interface QueryableRecord extends ValidatedRecord {
  readonly id: number;
  /** Server receipt time, seconds (float). */
  readonly timestamp_server: number;
}

export interface QueryResult {
  readonly status: 200 | 400;
  readonly body: string;
  /** The ids returned (200), newest first. */
  readonly ids?: readonly number[];
  readonly message?: string;
}

const MAX_WINDOW_SEC = 30 * 86400;
const DEFAULT_LIMIT = 1000;

function bad(message: string): QueryResult {
  return { status: 400, body: messageBody(message), message };
}

export function queryRecords(
  params: URLSearchParams,
  records: readonly QueryableRecord[],
  nowSec: number,
): QueryResult {
  const severity = params.get('severity');
  if (severity !== null && (!isAsciiDigits(severity) || Number(severity) < 1 || Number(severity) > 4)) {
    return bad('Severity should be a numeric value');
  }
  const classification = params.get('classification');
  if (classification !== null && classification.split('/').length !== 3) {
    return bad('Classification value is invalid');
  }
  const buildParam = params.get('build');
  const build = buildParam === null ? null : buildParam.replaceAll('"', '').replaceAll("'", '');
  if (build !== null && (build.length >= 200 || !isPyPrintable(build))) return bad('Build value is invalid');
  const machineId = params.get('machine_id');
  if (machineId !== null && machineId.length > 32) return bad('Machine id value is invalid');
  const days = params.get('created_in_days');
  if (days !== null && !isAsciiDigits(days)) return bad('Created (in days) value is invalid');
  const secs = params.get('created_in_sec');
  if (secs !== null && !isAsciiDigits(secs)) return bad('Created (in seconds) value is invalid');
  const fromId = params.get('from_id');
  if (fromId !== null && !isAsciiDigits(fromId)) return bad('Provided record id value is invalid');
  const tsCapture = params.get('ts_capture');
  if (tsCapture !== null && !isAsciiDigits(tsCapture)) return bad('Time stamp from record capture');
  const limitParam = params.get('limit');
  if (limitParam !== null && (!isAsciiDigits(limitParam) || limitParam > '1000')) {
    return bad('Record limit value is invalid');
  }

  const requested = days !== null ? Number(days) * 86400 : secs !== null ? Number(secs) : MAX_WINDOW_SEC;
  const since = nowSec - Math.min(requested, MAX_WINDOW_SEC);
  const limit = limitParam === null ? DEFAULT_LIMIT : Number(limitParam);
  const selected = records
    .filter(
      (r) =>
        r.timestamp_server > since &&
        (severity === null || r.severity === Number(severity)) &&
        (classification === null || r.classification === classification) &&
        (build === null || r.build === build) &&
        (machineId === null || r.machine_id === machineId) &&
        (fromId === null || r.id >= Number(fromId)) &&
        (tsCapture === null || r.timestamp_client > Number(tsCapture)),
    )
    .sort((a, b) => b.id - a.id)
    .slice(0, limit);
  const body = `${pyJsonDumps({ records: selected.map((r) => recordJson(r, r.id, r.timestamp_server)) })}\n`;
  return { status: 200, body, ids: selected.map((r) => r.id) };
}
