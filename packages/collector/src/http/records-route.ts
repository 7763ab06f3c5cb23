// GET /api/records: the JSON answer (upstream's shape) or the NDJSON export, streamed in pages
// so an export of millions of rows holds one page in memory at a time.
import type http from 'node:http';
import type { Db } from '../db/types.ts';
import {
  type RecordRow,
  type RecordsFilter,
  parseRecordsQuery,
  recordsSql,
  rowJson,
} from '../api/records.ts';
import { messageBody } from '../ingest/validate.ts';
import { JSON_TYPE, send } from './pages.ts';

const EXPORT_PAGE = 1000;

export async function answerRecordsQuery(
  db: Db,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  nowSec: number,
): Promise<void> {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const wantsNdjson = /application\/x-ndjson|application\/jsonl/.test(req.headers.accept ?? '');
  const parsed = parseRecordsQuery(params, nowSec, wantsNdjson);
  if ('message' in parsed) return send(res, 400, JSON_TYPE, messageBody(parsed.message));
  const filter = parsed.filter;
  if (filter.ndjson) return exportNdjson(db, filter, res);
  const { sql, params: values } = recordsSql(filter, filter.limit);
  const rows = await db.query<RecordRow>(sql, values);
  const headers: Record<string, string> = {};
  const last = rows.at(-1);
  if (last !== undefined && filter.limit !== undefined && filter.limit > 0 && rows.length === filter.limit) {
    const next = new URLSearchParams(params);
    next.set('before_id', String(last.id));
    headers['Link'] = `</api/records?${next.toString()}>; rel="next"`;
    headers['X-Next-Before-Id'] = String(last.id);
  }
  send(res, 200, JSON_TYPE, `{"records":[${rows.map(rowJson).join(',')}]}\n`, headers);
}

async function exportNdjson(db: Db, filter: RecordsFilter, res: http.ServerResponse): Promise<void> {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/x-ndjson');
  let remaining = filter.limit ?? Number.POSITIVE_INFINITY;
  let beforeId = filter.beforeId;
  while (remaining > 0 && !res.destroyed) {
    const page = Math.min(EXPORT_PAGE, remaining);
    const { sql, params } = recordsSql({ ...filter, ...(beforeId !== undefined ? { beforeId } : {}) }, page);
    const rows = await db.query<RecordRow>(sql, params);
    if (rows.length === 0) break;
    const chunk = `${rows.map(rowJson).join('\n')}\n`;
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        res.once('drain', resolve);
        res.once('close', resolve);
      });
    }
    remaining -= rows.length;
    beforeId = Number(rows.at(-1)!.id);
    if (rows.length < page) break;
  }
  res.end();
}
