import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { openDb, readsOf } from './open.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'collector-reads-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const count = 'SELECT count(*) AS n FROM guilty_blacklisted';

test('reads on the read threads see every committed write at once', async () => {
  const db = await openDb(`sqlite:${path.join(dir, 'seen.db')}`);
  const reads = readsOf(db);
  try {
    assert.notEqual(reads, db, 'a file database reads through its threads');
    assert.deepEqual(await reads.query(count), [{ n: 0 }]);
    await db.run('INSERT INTO guilty_blacklisted (function, module) VALUES ($1, $2)', ['a', 'b']);
    assert.deepEqual(await reads.query(count), [{ n: 1 }], 'a write on the collector connection');
    await reads.run('INSERT INTO guilty_blacklisted (function, module) VALUES ($1, $2)', ['c', 'd']);
    assert.deepEqual(await reads.query(count), [{ n: 2 }], 'a write through the read Db goes to the writer');
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO guilty_blacklisted (function, module) VALUES ($1, $2)', ['e', 'f']);
      // inside the transaction its own reads see it; the read threads see only what is committed
      assert.equal((await tx.query<{ n: number }>(count))[0]?.n, 3);
      assert.deepEqual(await reads.query(count), [{ n: 2 }]);
    });
    assert.deepEqual(await reads.query(count), [{ n: 3 }]);
    // parameters are bound as on the writer: booleans as 1/0, $n placeholders, REGEXP
    assert.deepEqual(
      await reads.query('SELECT $1 AS t, $2 AS s WHERE $3 REGEXP $4', [true, 'x', 'abc', '^a.c$']),
      [{ t: 1, s: 'x' }],
    );
    // a failing statement rejects its caller only
    await assert.rejects(reads.query('SELECT nope FROM guilty'), /no such column: nope/);
    // the threads' connections are read-only
    await assert.rejects(
      Promise.resolve().then(() => reads.query("DELETE FROM guilty_blacklisted WHERE module = 'b'")),
      /readonly|read-only/,
    );
    assert.deepEqual(await reads.query(count), [{ n: 3 }]);
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => reads.query('SELECT $1 AS i', [i])));
    assert.deepEqual(
      many.map((rows) => rows[0]),
      Array.from({ length: 20 }, (_, i) => ({ i })),
    );
  } finally {
    await db.close();
  }
  await assert.rejects(reads.query(count), /database closed/);
});

test('an in-memory database (one connection only) reads on its own connection', async () => {
  const db = await openDb('sqlite::memory:');
  try {
    assert.equal(readsOf(db), db);
  } finally {
    await db.close();
  }
});
