// Top crash guilties, guilty details and backtraces (spec section 7, Crashes).
import type { Db } from '../../db/types.ts';
import { compareBuilds, compareText } from '../format.ts';
import type { Where } from '../sql.ts';
import { Where as W } from '../sql.ts';
import type { FuncMod } from './blacklist.ts';
import { distinctValues } from './records.ts';
import { BACKTRACE_CLASSES, CLEAR_OS, CRASH_CLASSES } from './classes.ts';
import { byCountDesc, type Count } from './aggregates.ts';

const WEEK_S = 7 * 86400;
const TOP_BUILDS = 8;

export interface Guilty {
  id: number;
  function: string;
  module: string;
  comment: string | null;
  hide: boolean;
}

export interface TopGuilty extends Guilty {
  total: number;
  perBuild: Map<string, number>;
}

/** Builds counted on the crashes page: 2 or more digits, at most 100000. */
export function isCrashBuild(build: string): boolean {
  return /^[0-9]{2,}$/.test(build) && Number(build) <= 100000;
}

function backtraceWhere(w: Where = new W()): Where {
  return w.addIn('r.classification', BACKTRACE_CLASSES).add('r.guilty_id IS NOT NULL');
}

/** The 8 highest builds with a crash that has a shown guilty (over all time, as upstream):
 *  the builds come from the build index, highest first, and each is checked with one probe. */
async function topCrashBuilds(db: Db): Promise<string[]> {
  const builds = (await distinctValues(db, 'build')).filter(isCrashBuild).sort((a, b) => compareBuilds(b, a));
  const top: string[] = [];
  for (const build of builds) {
    const w = backtraceWhere(new W().add('r.build = ?', build)).add('g.hide = ?', false);
    const hit = await db.query(
      `SELECT 1 AS x FROM records r JOIN guilty g ON g.id = r.guilty_id${w.sql} LIMIT 1`,
      w.params,
    );
    if (hit.length > 0) top.push(build);
    if (top.length === TOP_BUILDS) break;
  }
  return top;
}

/** Guilties of the 8 highest builds, counting records of the last 7 days. */
export async function topGuilties(db: Db, nowS: number, onlyBuild?: string) {
  const builds = await topCrashBuilds(db);
  const shown = onlyBuild === undefined ? builds : builds.filter((b) => b === onlyBuild);
  const w = backtraceWhere()
    .addIn('r.build', shown)
    .add('r.timestamp_client > ?', nowS - WEEK_S)
    .add('g.hide = ?', false);
  const rows = await db.query<{ build: string; gid: unknown; n: unknown }>(
    `SELECT r.build AS build, r.guilty_id AS gid, COUNT(*) AS n
       FROM records r JOIN guilty g ON g.id = r.guilty_id${w.sql}
      GROUP BY r.build, r.guilty_id`,
    w.params,
  );
  const byGuilty = new Map<number, Map<string, number>>();
  for (const r of rows) {
    const id = Number(r.gid);
    const m = byGuilty.get(id) ?? new Map<string, number>();
    m.set(String(r.build), Number(r.n));
    byGuilty.set(id, m);
  }
  const guilties = await guiltiesById(db, [...byGuilty.keys()]);
  const top: TopGuilty[] = guilties.map((g) => {
    const perBuild = byGuilty.get(g.id) ?? new Map<string, number>();
    let total = 0;
    for (const n of perBuild.values()) total += n;
    return { ...g, perBuild, total };
  });
  top.sort((a, b) => b.total - a.total || a.id - b.id);
  return { builds: shown, guilties: top };
}

function toGuilty(r: Record<string, unknown>): Guilty {
  return {
    id: Number(r.id),
    function: String(r.function ?? ''),
    module: String(r.module ?? ''),
    comment: r.comment === null || r.comment === undefined ? null : String(r.comment),
    hide: Boolean(r.hide),
  };
}

const byFuncMod = (a: FuncMod, b: FuncMod) =>
  compareText(a.function, b.function) || compareText(a.module, b.module);

export async function guiltiesById(db: Db, ids: number[]): Promise<Guilty[]> {
  const out: Guilty[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const w = new W().addIn('id', ids.slice(i, i + 500));
    const rows = await db.query(`SELECT id, function, module, comment, hide FROM guilty${w.sql}`, w.params);
    out.push(...rows.map(toGuilty));
  }
  return out;
}

export async function guilty(db: Db, id: number): Promise<Guilty | undefined> {
  return (await guiltiesById(db, [id]))[0];
}

export async function hiddenGuilties(db: Db): Promise<Guilty[]> {
  const rows = await db.query('SELECT id, function, module, comment, hide FROM guilty WHERE hide = $1', [
    true,
  ]);
  return rows.map(toGuilty).sort(byFuncMod);
}

/** (build, machine, count) for one guilty, clear-linux-os only (upstream). */
export async function guiltyMachines(db: Db, id: number) {
  const rows = await db.query<{ build: string; machine_id: string | null; n: unknown }>(
    `SELECT build, machine_id, COUNT(*) AS n FROM records WHERE guilty_id = $1 AND system_name = $2
      GROUP BY build, machine_id`,
    [id, CLEAR_OS],
  );
  return rows
    .filter((r) => /^[0-9]{2,}$/.test(String(r.build)))
    .map((r) => ({ build: String(r.build), machine_id: String(r.machine_id ?? ''), count: Number(r.n) }))
    .sort(
      (a, b) =>
        compareBuilds(b.build, a.build) || b.count - a.count || compareText(a.machine_id, b.machine_id),
    );
}

export const MAX_BACKTRACES = 50;

export async function guiltyBacktraces(db: Db, id: number, machineId?: string, build?: string) {
  const w = new W()
    .addIn('classification', BACKTRACE_CLASSES)
    .add('system_name = ?', CLEAR_OS)
    .add('guilty_id = ?', id);
  if (machineId) w.add('machine_id = ?', machineId);
  if (build) w.add('build = ?', build);
  return db.query<{ id: unknown; payload: string; build: string; machine_id: string | null }>(
    `SELECT id, payload, build, machine_id FROM records${w.sql} ORDER BY id DESC LIMIT ${w.next()}`,
    [...w.params, MAX_BACKTRACES],
  );
}

/** The crashes page charts: crash records per class, and per build (10 highest). */
export async function crashCharts(db: Db) {
  const wc = new W().addIn('classification', CRASH_CLASSES);
  const perClass = await db.query<{ k: string; n: unknown }>(
    `SELECT classification AS k, COUNT(*) AS n FROM records${wc.sql} GROUP BY classification`,
    wc.params,
  );
  const wb = new W().addIn('classification', BACKTRACE_CLASSES);
  const perBuild = await db.query<{ k: string; n: unknown }>(
    `SELECT build AS k, COUNT(*) AS n FROM records${wb.sql} GROUP BY build`,
    wb.params,
  );
  const counts = (rows: { k: string; n: unknown }[]): Count[] =>
    rows.map((r) => ({ key: String(r.k), count: Number(r.n) }));
  return {
    perClass: counts(perClass).sort(byCountDesc),
    perBuild: counts(perBuild)
      .filter((c) => /^[0-9]+$/.test(c.key))
      .sort((a, b) => compareBuilds(b.key, a.key))
      .slice(0, 10),
  };
}

export async function setComment(db: Db, id: number, comment: string | null): Promise<boolean> {
  return (await db.run('UPDATE guilty SET comment = $1 WHERE id = $2', [comment, id])).changes > 0;
}

export async function setHidden(db: Db, id: number, hide: boolean): Promise<boolean> {
  return (await db.run('UPDATE guilty SET hide = $1 WHERE id = $2', [hide, id])).changes > 0;
}

export async function recordPayload(db: Db, id: number) {
  const rows = await db.query<{ id: unknown; payload: string; guilty_id: unknown }>(
    'SELECT id, payload, guilty_id FROM records WHERE id = $1',
    [id],
  );
  return rows[0];
}
