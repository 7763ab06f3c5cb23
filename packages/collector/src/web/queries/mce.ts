// MCE, thermal and update-matrix data: fetched rows, aggregated by pure functions.
import type { Db } from '../../db/types.ts';
import { compareBuilds, compareText } from '../format.ts';
import { Where } from '../sql.ts';
import { MCE_CLASSES, THERMAL_CLASS, UPDATE_CLASS } from './classes.ts';

export interface MceRow {
  classification: string;
  build: string;
  machine_id: string | null;
  timestamp_client: unknown;
  payload: string;
}

export async function mceRows(db: Db, sinceS: number): Promise<MceRow[]> {
  const w = new Where().addIn('classification', MCE_CLASSES).add('timestamp_client >= ?', sinceS);
  return db.query<MceRow>(
    `SELECT classification, build, machine_id, timestamp_client, payload FROM records${w.sql}`,
    w.params,
  );
}

/** The MCE status: the last 8 hex digits before ` MCGSTATUS` on a line with STATUS. */
export function mceStatus(payload: string): string | null {
  let status: string | null = null;
  for (const line of payload.split(/\r?\n/)) {
    if (!line.includes('STATUS')) continue;
    const m = /([0-9a-fA-F]{8}) MCGSTATUS/.exec(line);
    if (m?.[1]) status = m[1];
  }
  return status;
}

/** Sunday-based week of the year (strftime %U), in UTC. */
export function weekOfYear(tsS: number): number {
  const d = new Date(tsS * 1000);
  const jan1 = Date.UTC(d.getUTCFullYear(), 0, 1);
  const yday = Math.floor((d.getTime() - jan1) / 86400000);
  const jan1Dow = new Date(jan1).getUTCDay();
  return Math.floor((yday + jan1Dow) / 7);
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

const byCount = (a: [string, number], b: [string, number]) => b[1] - a[1] || compareText(a[0], b[0]);

export function summariseMce(rows: readonly MceRow[]) {
  const perClass = new Map<string, number>();
  const perBuild = new Map<string, number>();
  const perStatus = new Map<string, number>();
  const perWeek = new Map<string, Map<string, number>>();
  const machines = new Map<string, { total: number; builds: Map<string, number> }>();
  for (const r of rows) {
    bump(perClass, r.classification);
    bump(perBuild, r.build);
    const status = mceStatus(r.payload);
    if (status) bump(perStatus, status);
    const week = String(weekOfYear(Number(r.timestamp_client)));
    const wk = perWeek.get(r.classification) ?? new Map<string, number>();
    bump(wk, week);
    perWeek.set(r.classification, wk);
    const id = r.machine_id ?? '';
    const m = machines.get(id) ?? { total: 0, builds: new Map<string, number>() };
    m.total++;
    bump(m.builds, r.build);
    machines.set(id, m);
  }
  return {
    perClass: [...perClass].sort(byCount),
    perBuild: [...perBuild].sort((a, b) => compareBuilds(a[0], b[0])),
    perStatus: [...perStatus].sort(byCount),
    perWeek: new Map([...perWeek].sort((a, b) => compareText(a[0], b[0]))),
    machines: [...machines]
      .map(([id, m]) => ({ machine_id: id, ...m }))
      .sort((a, b) => b.total - a.total || compareText(a.machine_id, b.machine_id)),
  };
}

export async function thermalRows(db: Db, sinceS: number) {
  const rows = await db.query<{ t: unknown }>(
    'SELECT timestamp_client AS t FROM records WHERE classification = $1 AND timestamp_client >= $2',
    [THERMAL_CLASS, sinceS],
  );
  return rows.map((r) => Number(r.t));
}

/** Thermal records per week of the year, newest week first. */
export function thermalWeeks(timestamps: readonly number[]): [number, number][] {
  const m = new Map<number, number>();
  for (const t of timestamps) m.set(weekOfYear(t), (m.get(weekOfYear(t)) ?? 0) + 1);
  return [...m].sort((a, b) => b[0] - a[0]);
}

export async function updatePayloads(db: Db, sinceS: number): Promise<string[]> {
  const rows = await db.query<{ payload: string }>(
    'SELECT payload FROM records WHERE classification = $1 AND timestamp_client > $2',
    [UPDATE_CLASS, sinceS],
  );
  return rows.map((r) => String(r.payload));
}

/** From/to version counts of swupd update records (lines 3 and 4:
 *  `current_version=N`, `server_version=M`), upstream's update matrix. */
export function updateMatrix(payloads: readonly string[]) {
  const counts = new Map<number, Map<number, number>>();
  const versions = new Set<number>();
  for (const p of payloads) {
    const lines = p.split(/\r?\n/);
    const from = /^current_version=(\d+)$/.exec(lines[2] ?? '');
    const to = /^server_version=(\d+)$/.exec(lines[3] ?? '');
    if (!from?.[1] || !to?.[1]) continue;
    const f = Number(from[1]);
    const t = Number(to[1]);
    if (f === t) continue;
    versions.add(f).add(t);
    const row = counts.get(f) ?? new Map<number, number>();
    row.set(t, (row.get(t) ?? 0) + 1);
    counts.set(f, row);
  }
  const sorted = [...versions].sort((a, b) => a - b);
  return { versions: sorted, count: (f: number, t: number) => counts.get(f)?.get(t) ?? 0 };
}
