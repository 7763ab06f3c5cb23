// The memoised whole-table aggregates (memo.ts): one key and one computation for each, shared
// by the pages that show them and by the warming at start (warm.ts), so the two can never
// compute different things under the same key.
import type { Db } from '../db/types.ts';
import { buildCounts, classificationCounts, platformCounts, population } from './queries/aggregates.ts';
import { crashCharts, topGuilties } from './queries/crashes.ts';
import {
  mceRows,
  summariseMce,
  thermalRows,
  thermalWeeks,
  updateMatrix,
  updatePayloads,
} from './queries/mce.ts';
import type { Memo } from './memo.ts';

const WEEK_S = 7 * 86400;

/** Sunday 00:00 UTC starting the current week (strftime %U weeks). */
function weekStart(nowS: number): number {
  const d = new Date(nowS * 1000);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - d.getUTCDay()) / 1000;
}

export const mceYear = (nowS: number) => new Date(nowS * 1000).getUTCFullYear();

export const cached = {
  builds: (m: Memo, db: Db) => m.get('builds', () => buildCounts(db)),
  statsClass: (m: Memo, db: Db) => m.get('stats:class', () => classificationCounts(db)),
  statsPlatform: (m: Memo, db: Db) => m.get('stats:platform', () => platformCounts(db)),
  population: (m: Memo, db: Db, nowS: number) => m.get('population', () => population(db, nowS)),
  mce: (m: Memo, db: Db, nowS: number) => {
    const year = mceYear(nowS);
    return m.get(`mce:${year}`, async () => summariseMce(await mceRows(db, Date.UTC(year, 0, 1) / 1000)));
  },
  thermal: (m: Memo, db: Db, nowS: number) =>
    m.get('thermal', async () => thermalWeeks(await thermalRows(db, weekStart(nowS) - 4 * WEEK_S))),
  updates: (m: Memo, db: Db, nowS: number) =>
    m.get('updates', async () => updateMatrix(await updatePayloads(db, nowS - WEEK_S))),
  crashCharts: (m: Memo, db: Db) => m.get('crashes:charts', () => crashCharts(db)),
  topGuilties: (m: Memo, db: Db, nowS: number, build?: string) =>
    m.get(`crashes:top:${build ?? ''}`, () => topGuilties(db, nowS, build)),
};

/** What warming computes, slowest first: population is the page farthest over its target. */
export const WARM_ORDER: readonly (keyof typeof cached)[] = [
  'population',
  'mce',
  'statsClass',
  'statsPlatform',
  'updates',
  'topGuilties',
  'crashCharts',
  'builds',
  'thermal',
];
