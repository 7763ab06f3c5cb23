// Records list, details, filter choices and the CSV export cursor.
import type { Db } from '../../db/types.ts';
import { classMatcher, filterWhere, type RecordFilter } from '../records-filter.ts';

export const RECORDS_PER_PAGE = 50;
const MAX_MERGED_CLASSES = 50;

export interface RecordRow {
  id: number;
  external: unknown;
  machine_id: string | null;
  timestamp_server: number;
  severity: number | null;
  classification: string;
  build: string;
  system_name: string | null;
  payload: string;
}

const LIST_COLUMNS =
  'id, external, machine_id, timestamp_server, severity, classification, build, system_name, payload';

/** Newest first; `beforeId` pages backwards ("load more"). A wildcard class becomes one
 *  query per matching class, merged here: each walks its class's index newest first
 *  (an index on classification ends in the row id), where one query over all of them
 *  would have to sort every matching row. */
export async function listRecords(
  db: Db,
  f: RecordFilter,
  beforeId?: number,
  limit = RECORDS_PER_PAGE,
): Promise<RecordRow[]> {
  if (f.classification?.includes('*')) {
    const classes = (await distinctValues(db, 'classification')).filter(classMatcher(f.classification));
    if (classes.length <= MAX_MERGED_CLASSES) {
      const lists = await Promise.all(
        classes.map((c) => listRecords(db, { ...f, classification: c }, beforeId, limit)),
      );
      return lists
        .flat()
        .sort((a, b) => b.id - a.id)
        .slice(0, limit);
    }
  }
  const w = filterWhere(db.dialect, f);
  if (beforeId !== undefined) w.add('id < ?', beforeId);
  const rows = await db.query<RecordRow>(
    `SELECT ${LIST_COLUMNS} FROM records${w.sql} ORDER BY id DESC LIMIT ${w.next()}`,
    [...w.params, limit],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), timestamp_server: Number(r.timestamp_server) }));
}

export async function recordDetails(db: Db, id: number) {
  const rows = await db.query(
    `SELECT r.*, g.function AS guilty_function, g.module AS guilty_module
       FROM records r LEFT JOIN guilty g ON g.id = r.guilty_id WHERE r.id = $1`,
    [id],
  );
  return rows[0];
}

/** Distinct values of an indexed column by skipping through the index (a loose
 *  index scan): one probe per value instead of a scan of every row. */
export async function distinctValues(db: Db, column: 'classification' | 'build'): Promise<string[]> {
  const rows = await db.query<{ v: string }>(
    `WITH RECURSIVE d(v) AS (
       SELECT MIN(${column}) FROM records
       UNION ALL
       SELECT (SELECT MIN(${column}) FROM records WHERE ${column} > d.v) FROM d WHERE d.v IS NOT NULL
     ) SELECT v FROM d WHERE v IS NOT NULL`,
  );
  return rows.map((r) => String(r.v));
}

/** Newest record's receipt time, for the page's ETag (upstream's HEAD /records). */
export async function newestTimestamp(db: Db): Promise<number | null> {
  const rows = await db.query<{ t: unknown }>(
    'SELECT timestamp_server AS t FROM records ORDER BY id DESC LIMIT 1',
  );
  return rows[0] ? Number(rows[0].t) : null;
}

const CSV_COLUMNS = 'id, external, timestamp_server, severity, classification, build, machine_id, payload';

/** Rows for the CSV export in batches, newest first, so a big export never sits in memory. */
export async function* exportRows(db: Db, f: RecordFilter, limit: number, batch = 2000) {
  let before: number | undefined;
  let left = limit;
  while (left > 0) {
    const w = filterWhere(db.dialect, f);
    if (before !== undefined) w.add('id < ?', before);
    const n = Math.min(batch, left);
    const rows = await db.query<Record<string, unknown> & { id: unknown }>(
      `SELECT ${CSV_COLUMNS} FROM records${w.sql} ORDER BY id DESC LIMIT ${w.next()}`,
      [...w.params, n],
    );
    yield rows;
    if (rows.length < n) return;
    before = Number(rows[rows.length - 1]?.id);
    left -= rows.length;
  }
}
