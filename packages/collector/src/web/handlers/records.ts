// Records routes: list, load more, details, CSV export, HEAD for polling.
import { CSV_HEADER, csvRow, INLINE_LIMIT } from '../csv.ts';
import { BASE } from '../layout.ts';
import {
  classChoices,
  FilterError,
  filterQuery,
  parseFilter,
  type RecordFilter,
  typedFilter,
} from '../records-filter.ts';
import {
  distinctValues,
  exportRows,
  listRecords,
  newestTimestamp,
  recordDetails,
  RECORDS_PER_PAGE,
} from '../queries/records.ts';
import { notFound } from './errors.ts';
import { redirect, sendHtml } from '../respond.ts';
import { route, type Request, type Route } from '../router.ts';
import { compareBuilds, isDigits } from '../format.ts';
import { recordDetailsPage, recordsPage } from '../views/records.ts';

async function list(r: Request, beforeId?: number): Promise<void> {
  let filter: RecordFilter = {};
  let error: string | undefined;
  try {
    filter = parseFilter(r.url.searchParams);
  } catch (e) {
    if (!(e instanceof FilterError)) throw e;
    error = e.message;
    filter = typedFilter(r.url.searchParams);
  }
  const exportAs = r.url.searchParams.get('export');
  if (!error && (exportAs === 'inline' || exportAs === 'attach')) {
    const q = filterQuery(filter);
    q.set('format_type', exportAs);
    return redirect(r.res, `${BASE}/records/export/records-${Math.floor(r.nowS)}.csv?${q}`, 302);
  }
  if (r.req.method === 'HEAD') {
    // Upstream's HEAD /records: an ETag from the newest record, so a page can poll.
    const t = await newestTimestamp(r.db);
    r.res.writeHead(200, { ETag: `"${t ?? 0}"`, 'Content-Type': 'text/html; charset=utf-8' });
    r.res.end();
    return;
  }
  const [rows, classes, builds] = await Promise.all([
    error ? Promise.resolve([]) : listRecords(r.db, filter, beforeId, RECORDS_PER_PAGE + 1).catch(regexError),
    distinctValues(r.db, 'classification'),
    distinctValues(r.db, 'build'),
  ]);
  const badRegex = !Array.isArray(rows);
  const shown = badRegex ? [] : rows.slice(0, RECORDS_PER_PAGE);
  const page = recordsPage(r.ctx, {
    filter,
    rows: shown,
    classChoices: classChoices(classes),
    buildChoices: builds.filter(isDigits).sort((a, b) => compareBuilds(b, a)),
    nowS: r.nowS,
    error: error ?? (badRegex ? rows.message : undefined),
    more: !badRegex && rows.length > RECORDS_PER_PAGE,
  });
  sendHtml(r.res, error || badRegex ? 400 : 200, page);
}

/** A regex the database refuses (PostgreSQL's syntax differs a little from JavaScript's). */
function regexError(e: unknown): FilterError {
  if (e instanceof Error && /regular expression|regex/i.test(e.message)) {
    return new FilterError('payload: the database refused this regular expression');
  }
  throw e;
}

async function details(r: Request): Promise<void> {
  const rec = await recordDetails(r.db, Number(r.params[0]));
  if (!rec) return notFound(r, 'No such record.');
  sendHtml(r.res, 200, recordDetailsPage(r.ctx, rec));
}

async function exportCsv(r: Request): Promise<void> {
  let filter: RecordFilter;
  try {
    filter = parseFilter(r.url.searchParams);
  } catch (e) {
    if (!(e instanceof FilterError)) throw e;
    r.res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
    r.res.end(`${e.message}\n`);
    return;
  }
  const attach = r.url.searchParams.get('format_type') === 'attach';
  r.res.writeHead(200, {
    'Content-Type': attach ? 'text/csv; charset=utf-8' : 'text/plain; charset=utf-8',
    ...(attach ? { 'Content-Disposition': `attachment; filename=export-${r.params[0]}.csv` } : {}),
  });
  r.res.write(CSV_HEADER);
  for await (const rows of exportRows(r.db, filter, attach ? Number.MAX_SAFE_INTEGER : INLINE_LIMIT)) {
    const ok = r.res.write(rows.map((row) => csvRow(row as never)).join(''));
    if (!ok) await new Promise((resolve) => r.res.once('drain', resolve));
    if (r.res.destroyed) return;
  }
  r.res.end();
}

export const recordRoutes: Route[] = [
  route('GET', '', (r) => list(r)),
  route('GET', '/', (r) => list(r)),
  route('GET', '/records', (r) => list(r)),
  route('GET', '/records/lastid/:int', (r) => list(r, Number(r.params[0]))),
  route('GET', '/records/record_details/:int', details),
  route('GET', '/records/export/:seg', async (r) => {
    const m = /^records-([0-9]{1,15})\.csv$/.exec(r.params[0] ?? '');
    if (!m) return notFound(r, 'No such export.');
    r.params = [m[1] ?? ''];
    return exportCsv(r);
  }),
];
