// Taking over an existing telemetrics-backend database: a PostgreSQL database made with the
// upstream DDL (spec §6, migration ac1c5921bf2f) and holding a record and a guilty as the Flask
// collector and processing service wrote them is read and written by telemetrics-collector
// without any change to its tables (only indexes, upstream's own last_processed view, and the
// collector's separate telemetrics_* event tables are added), and the upstream rows stay.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { UPSTREAM_POSTGRES_DDL } from '../../packages/collector/src/db/schema.ts';
import { spawnCollector } from '../helpers/collector-process.ts';
import { inCI } from '../helpers/need.ts';
import { type PostgresCluster, postgresAvailable, startPostgres } from '../helpers/postgres.ts';
import { readVector } from '../helpers/vectors.ts';
import { parseHttpMessage } from '../collector/raw-http.ts';

let cluster: PostgresCluster | undefined;
before(async () => {
  if (postgresAvailable() || inCI) cluster = await startPostgres();
});
after(() => cluster?.close());

const COLUMNS_SQL = `SELECT table_name, column_name, data_type, is_nullable, column_default
  FROM information_schema.columns WHERE table_schema = 'public' AND table_name IN
  ('records', 'guilty', 'guilty_blacklisted', 'alembic_version') ORDER BY table_name, ordinal_position`;
const CONSTRAINTS_SQL = `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
  WHERE conrelid::regclass::text IN ('records', 'guilty', 'guilty_blacklisted', 'alembic_version') ORDER BY conname`;

test('an upstream-schema database is read and written without change', async (t) => {
  if (cluster === undefined) return t.skip('no PostgreSQL');
  const url = await cluster.createDatabase();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const sql of UPSTREAM_POSTGRES_DDL) await client.query(sql);
    // What the Flask collector and the processing service left behind.
    await client.query(
      `INSERT INTO guilty (function, module, comment, hide) VALUES ('old()', '/usr/bin/old', NULL, false)`,
    );
    await client.query(
      `INSERT INTO records (architecture, bios_version, board_name, build, classification, cpu_model, event_id, external,
        host_type, kernel_version, machine_id, payload_version, record_version, severity, system_name, timestamp_client,
        timestamp_server, payload, processed, guilty_id)
       VALUES ('x86_64', 'b', 'bn', '31000', 'org.clearlinux/crash/clr', 'cpu', 'N/A', false, 'ht', '5.10.0', 'm', 1, 3, 3,
        'clear-linux-os', 1600000000, extract(epoch from now()) - 60, 'Process: /usr/bin/old', true, 1)`,
    );
    const columnsBefore = (await client.query(COLUMNS_SQL)).rows;
    const constraintsBefore = (await client.query(CONSTRAINTS_SQL)).rows;

    await using c = await spawnCollector({ db: url });
    // Read: the upstream row through /api/records.
    const listed = (await (await fetch(`${c.url}/api/records`)).json()) as {
      records: { id: number; build: string; record_version: number }[];
    };
    assert.deepEqual(
      listed.records.map((r) => [r.id, r.build, r.record_version]),
      [[1, '31000', 3]],
    );
    // Write: a C client's request, and a crash record that reuses the guilty table's sequence.
    const { headers, body } = parseHttpMessage(readVector('http/v2.3.5-hprobe.request.http'));
    const h = Object.fromEntries(
      [...headers].filter(([n]) => !['host', 'content-length', 'accept'].includes(n)),
    );
    const res = await fetch(c.v2Url, { method: 'POST', headers: h, body });
    assert.equal(res.status, 201);
    assert.equal(((await res.json()) as { id: number }).id, 2, 'the serial continues');
    const crash = readVector('crash/payloads/v2.4.3-crashme-g.payload.txt');
    const res2 = await fetch(c.v2Url, {
      method: 'POST',
      headers: { ...h, classification: 'org.clearlinux/crash/clr' },
      body: crash,
    });
    assert.equal(res2.status, 201);

    assert.deepEqual((await client.query(COLUMNS_SQL)).rows, columnsBefore, 'columns unchanged');
    assert.deepEqual((await client.query(CONSTRAINTS_SQL)).rows, constraintsBefore, 'constraints unchanged');
    assert.deepEqual((await client.query('SELECT version_num FROM alembic_version')).rows, [
      { version_num: 'ac1c5921bf2f' },
    ]);
    const guilty = (await client.query('SELECT id, function, hide FROM guilty ORDER BY id')).rows;
    assert.deepEqual(guilty, [
      { id: 1, function: 'old()', hide: false },
      { id: 2, function: 'item_length()', hide: false },
    ]);
    const rows = (
      await client.query('SELECT id, processed, guilty_id, timestamp_server FROM records ORDER BY id')
    ).rows as {
      id: number;
      processed: boolean;
      guilty_id: number | null;
      timestamp_server: string;
    }[];
    assert.deepEqual(
      rows.map((r) => [r.id, r.processed, r.guilty_id]),
      [
        [1, true, 1],
        [2, false, null],
        [3, true, 2],
      ],
    );
    assert.match(
      rows[1]!.timestamp_server,
      /^\d+\.\d+$/,
      'numeric seconds with the fraction, as upstream stores time()',
    );
    const indexes = (
      await client.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'records' ORDER BY indexname`)
    ).rows.map((r: { indexname: string }) => r.indexname);
    for (const name of [
      'classification',
      'timestamp_server',
      // the web views' covering indexes (docs/web-views.md, Speed)
      'host_type',
      'population',
      'crashes',
      'guilty_machines',
    ]) {
      assert.ok(indexes.includes(`telemetrics_records_${name}`), name);
    }
  } finally {
    await client.end();
  }
});
