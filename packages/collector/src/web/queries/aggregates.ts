// Counts for the builds, stats and population views.
import type { Db } from '../../db/types.ts';
import { compareBuilds, isDigits } from '../format.ts';
import { CLEAR_OS, HEARTBEAT_CLASS } from './classes.ts';

export interface Count {
  key: string;
  count: number;
}

async function countBy(db: Db, column: 'build' | 'classification' | 'host_type'): Promise<Count[]> {
  const rows = await db.query<{ k: unknown; n: unknown }>(
    `SELECT ${column} AS k, COUNT(*) AS n FROM records GROUP BY ${column}`,
  );
  return rows.map((r) => ({ key: r.k === null ? '' : String(r.k), count: Number(r.n) }));
}

/** Records per build, only builds made of digits, in numeric order (upstream). */
export async function buildCounts(db: Db): Promise<Count[]> {
  return (await countBy(db, 'build'))
    .filter((c) => isDigits(c.key))
    .sort((a, b) => compareBuilds(a.key, b.key));
}

/** Largest first; ties by key, so both databases list them alike. */
export function byCountDesc(a: Count, b: Count): number {
  return b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

export async function classificationCounts(db: Db): Promise<Count[]> {
  return (await countBy(db, 'classification')).sort(byCountDesc);
}

export async function platformCounts(db: Db): Promise<Count[]> {
  return (await countBy(db, 'host_type')).sort(byCountDesc);
}

export const POPULATION_WINDOWS = [
  { id: 'overall', label: 'Overall', days: null },
  { id: 'two-weeks', label: 'Past two weeks', days: 14 },
  { id: 'one-week', label: 'Past week', days: 7 },
  { id: 'three-days', label: 'Past three days', days: 3 },
  { id: 'one-day', label: 'Past day', days: 1 },
] as const;

export interface PopulationRow {
  build: string;
  internal: number;
  external: number;
}

/** Distinct machine ids per build, internal and external, in each window: each machine's
 *  newest heartbeat per build, counted per window in the same query (a few dozen rows come
 *  back instead of one per machine). */
export async function population(db: Db, nowS: number) {
  const params: unknown[] = [HEARTBEAT_CLASS, CLEAR_OS];
  const counts = POPULATION_WINDOWS.map((w, i) => {
    if (w.days === null) return `COUNT(*) AS w${i}`;
    params.push(nowS - w.days * 86400);
    return `SUM(CASE WHEN latest > $${params.length} THEN 1 ELSE 0 END) AS w${i}`;
  });
  const rows = await db.query<Record<string, unknown> & { build: string; external: unknown }>(
    `SELECT build, external, ${counts.join(', ')}
       FROM (SELECT build, external, MAX(timestamp_client) AS latest FROM records
              WHERE classification = $1 AND system_name = $2 AND machine_id IS NOT NULL
              GROUP BY build, external, machine_id) m
      GROUP BY build, external`,
    params,
  );
  return POPULATION_WINDOWS.map((w, i) => {
    const byBuild = new Map<string, PopulationRow>();
    for (const r of rows) {
      const n = Number(r[`w${i}`] ?? 0);
      if (n === 0) continue;
      const b = String(r.build);
      const row = byBuild.get(b) ?? { build: b, internal: 0, external: 0 };
      if (r.external) row.external += n;
      else row.internal += n;
      byBuild.set(b, row);
    }
    return { ...w, rows: [...byBuild.values()].sort((a, b) => compareBuilds(a.build, b.build)) };
  });
}
