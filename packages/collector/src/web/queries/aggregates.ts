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

/** Distinct machine ids per build, internal and external, in each window: one
 *  query of each machine's newest heartbeat per build, the windows counted here. */
export async function population(db: Db, nowS: number) {
  const rows = await db.query<{ build: string; external: unknown; latest: unknown }>(
    `SELECT build, external, MAX(timestamp_client) AS latest FROM records
      WHERE classification = $1 AND system_name = $2 AND machine_id IS NOT NULL GROUP BY build, external, machine_id`,
    [HEARTBEAT_CLASS, CLEAR_OS],
  );
  return POPULATION_WINDOWS.map((w) => {
    const since = w.days === null ? -Infinity : nowS - w.days * 86400;
    const byBuild = new Map<string, PopulationRow>();
    for (const r of rows) {
      if (!(Number(r.latest) > since)) continue;
      const b = String(r.build);
      const row = byBuild.get(b) ?? { build: b, internal: 0, external: 0 };
      if (r.external) row.external++;
      else row.internal++;
      byBuild.set(b, row);
    }
    return { ...w, rows: [...byBuild.values()].sort((a, b) => compareBuilds(a.build, b.build)) };
  });
}
