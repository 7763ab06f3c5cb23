// The web views' whole-table aggregates are answered from the collector's indexes, never by
// reading the records table (SQLite's EXPLAIN QUERY PLAN of the SQL each query function
// really sends). Without statistics (no ANALYZE) SQLite plans alike on 10 rows and on a
// million, so a small database shows the plans the 1M-record bench gets.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openDb } from '../../db/open.ts';
import type { Db } from '../../db/types.ts';
import { platformCounts, population } from './aggregates.ts';
import { crashCharts, guiltyMachines, topGuilties } from './crashes.ts';
import { thermalRows } from './mce.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'collector-plans-'));
let db: Db;
before(async () => {
  db = await openDb(`sqlite:${path.join(dir, 'plans.db')}`);
  await db.run('INSERT INTO guilty (id, function, module, hide) VALUES (1, $1, $2, $3)', ['f()', 'm', false]);
  for (const [cls, build, guilty] of [
    ['org.clearlinux/crash/clr', '41000', 1],
    ['org.clearlinux/heartbeat/ping', '41000', null],
    ['org.clearlinux/mce/thermal', '41010', null],
  ] as const) {
    await db.run(
      `INSERT INTO records (build, classification, external, host_type, machine_id, system_name,
         timestamp_client, timestamp_server, payload, processed, guilty_id)
       VALUES ($1, $2, $3, 'h', 'm1', 'clear-linux-os', 1000, 1000, 'p', $4, $5)`,
      [build, cls, false, guilty !== null, guilty],
    );
  }
});
after(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The SQL `fn` sends, each with its plan. */
async function plansOf(fn: (db: Db) => Promise<unknown>): Promise<{ sql: string; plan: string }[]> {
  const seen: { sql: string; plan: string }[] = [];
  const recording: Db = {
    dialect: db.dialect,
    query: async <T>(sql: string, params: readonly unknown[] = []) => {
      const steps = await db.query<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, params);
      seen.push({ sql, plan: steps.map((s) => s.detail).join('\n') });
      return db.query<T>(sql, params);
    },
    run: (sql, params) => db.run(sql, params),
    transaction: (f) => db.transaction(f),
    close: async () => {},
  };
  await fn(recording);
  return seen;
}

/** A step that reads the records table row by row (not an index that holds the columns). */
const TABLE_READ = /^(SCAN|SEARCH) (records|r)\b(?!.*COVERING INDEX)/m;

const CASES: [string, (db: Db) => Promise<unknown>, string][] = [
  ['records per platform (stats)', platformCounts, 'telemetrics_records_host_type'],
  ['population', (d) => population(d, 2000), 'telemetrics_records_population'],
  ['top guilties (crashes)', (d) => topGuilties(d, 2000), 'telemetrics_records_crashes'],
  ['crash charts', crashCharts, 'telemetrics_records_crashes'],
  ['guilty details', (d) => guiltyMachines(d, 1), 'telemetrics_records_guilty_machines'],
  ['thermal', (d) => thermalRows(d, 0), 'telemetrics_records_crashes'],
];

for (const [name, fn, index] of CASES) {
  test(`${name}: answered from covering indexes, ${index} among them`, async () => {
    const plans = await plansOf(fn);
    assert.ok(plans.length > 0);
    for (const { sql, plan } of plans) assert.doesNotMatch(plan, TABLE_READ, `${sql}\n${plan}`);
    assert.ok(
      plans.some((p) => p.plan.includes(`COVERING INDEX ${index}`)),
      plans.map((p) => p.plan).join('\n--\n'),
    );
  });
}
