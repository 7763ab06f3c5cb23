// Warming: right after the collector starts listening, compute each memoised whole-table
// aggregate once, one after another, so that the first visitor of a page after a start is
// served from memory instead of waiting for a query over the whole table (population takes
// about 200 ms on a million records). One at a time: on SQLite the reads run in worker
// threads (db/sqlite-reads.ts), so warming occupies one of them and never the collector's
// thread, and a visitor's own query still finds a free one.
import type { Db } from '../db/types.ts';
import { cached, WARM_ORDER } from './cached.ts';
import type { Memo } from './memo.ts';

export type WarmResult = { warmed: string[] } | { skipped: 'empty' };

type Warmer = (m: Memo, db: Db, nowS: number) => Promise<unknown>;
const warmers: Record<keyof typeof cached, Warmer> = cached;

/** Computes every aggregate into `memo`; nothing on a database without records (the
 *  aggregates of an empty table cost nothing to compute at the first visit). */
export async function warmAggregates(db: Db, memo: Memo, nowS: () => number): Promise<WarmResult> {
  const any = await db.query('SELECT 1 AS x FROM records LIMIT 1');
  if (any.length === 0) return { skipped: 'empty' };
  const warmed: string[] = [];
  for (const name of WARM_ORDER) {
    await warmers[name](memo, db, nowS());
    warmed.push(name);
  }
  return { warmed };
}
