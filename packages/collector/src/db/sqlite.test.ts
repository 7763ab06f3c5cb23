import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { openDb } from './open.ts';
import { parseDbUrl } from './url.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'collector-db-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('parseDbUrl: sqlite forms, postgres, and refusals', () => {
  assert.deepEqual(parseDbUrl('sqlite:/a/b.db'), { dialect: 'sqlite', path: '/a/b.db', synchronous: 'full' });
  assert.deepEqual(parseDbUrl('sqlite:///a/b.db'), {
    dialect: 'sqlite',
    path: '/a/b.db',
    synchronous: 'full',
  });
  assert.deepEqual(parseDbUrl('rel.db'), { dialect: 'sqlite', path: 'rel.db', synchronous: 'full' });
  assert.deepEqual(parseDbUrl('sqlite:c.db?synchronous=normal'), {
    dialect: 'sqlite',
    path: 'c.db',
    synchronous: 'normal',
  });
  assert.throws(() => parseDbUrl('sqlite:c.db?cache=big'), /unsupported SQLite option 'cache=big'/);
  assert.equal(parseDbUrl('postgresql://u@h/db').dialect, 'postgres');
  assert.throws(() => parseDbUrl('mysql://x'), /unsupported database URL/);
});

test('the Db interface on SQLite: $n placeholders, booleans as 1/0, REGEXP, rollback', async () => {
  const db = await openDb(`sqlite:${path.join(dir, 'a', 'c.db')}`);
  try {
    assert.equal(db.dialect, 'sqlite');
    await db.run('INSERT INTO guilty (function, module, hide) VALUES ($1, $2, $3)', ['f()', 'm', true]);
    const [row] = await db.query<{ hide: number; function: string }>(
      'SELECT * FROM guilty WHERE module = $1',
      ['m'],
    );
    assert.equal(Boolean(row?.hide), true);
    assert.equal(
      (await db.query('SELECT id FROM guilty WHERE function REGEXP $1', ['^f\\(']))[0] !== undefined,
      true,
    );
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.run('INSERT INTO guilty_blacklisted (function, module) VALUES ($1, $2)', ['x', 'y']);
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal((await db.query('SELECT * FROM guilty_blacklisted')).length, 0, 'rolled back');
    const n = await db.transaction(async (tx) => {
      await tx.run('INSERT INTO guilty_blacklisted (function, module) VALUES ($1, $2)', ['x', 'y']);
      return (await tx.query<{ n: number }>('SELECT count(*) AS n FROM guilty_blacklisted'))[0]!.n;
    });
    assert.equal(n, 1);
  } finally {
    await db.close();
  }
});

test('migrations are idempotent: opening twice keeps the data and adds nothing twice', async () => {
  const file = path.join(dir, 'twice.db');
  const first = await openDb(`sqlite:${file}`);
  await first.run('INSERT INTO guilty_blacklisted (function, module) VALUES ($1, $2)', ['a', 'b']);
  await first.close();
  const second = await openDb(`sqlite:${file}`);
  try {
    assert.equal((await second.query('SELECT * FROM guilty_blacklisted')).length, 1);
    const indexes = await second.query<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'telemetrics_records_%'",
    );
    assert.ok(indexes.length >= 6);
  } finally {
    await second.close();
  }
});

test("a database from before the web views' indexes gets them at the next open, data kept", async () => {
  const file = path.join(dir, 'older.db');
  const WEB_INDEXES = ['host_type', 'population', 'crashes', 'guilty_machines'].map(
    (n) => `telemetrics_records_${n}`,
  );
  const older = await openDb(`sqlite:${file}`);
  await older.run(
    `INSERT INTO records (build, classification, timestamp_server, payload) VALUES ('1', 'c/d/e', 1, 'p')`,
  );
  for (const name of WEB_INDEXES) await older.run(`DROP INDEX ${name}`);
  await older.close();
  const db = await openDb(`sqlite:${file}`);
  try {
    const names = (
      await db.query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name")
    ).map((r) => r.name);
    for (const name of WEB_INDEXES) assert.ok(names.includes(name), name);
    assert.equal((await db.query('SELECT id FROM records')).length, 1);
  } finally {
    await db.close();
  }
});
