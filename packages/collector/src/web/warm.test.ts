// Warming the memoised aggregates at start (warm.ts), on a real SQLite database (reads in
// worker threads) and a loopback server. Warming is observed by its result and by what the
// pages show afterwards, never by timing: a record stored after warming is not yet in a
// warmed page (served from memory), while a handler that was not warmed computes it fresh.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { Db } from '../db/types.ts';
import { WARM_ORDER } from './cached.ts';
import type { WebHandler } from './index.ts';
import { openTempDb, serveWebViews } from './web.fixtures.ts';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers) await c();
});

async function fresh(): Promise<Db> {
  const temp = await openTempDb();
  closers.push(() => temp.close());
  return temp.db;
}

async function serve(db: Db): Promise<{ handler: WebHandler; get: (p: string) => Promise<string> }> {
  const site = await serveWebViews(db);
  closers.unshift(() => site.close());
  const get = async (p: string) => {
    const res = await fetch(`${site.base}${p}`);
    assert.equal(res.status, 200, p);
    return res.text();
  };
  return { handler: site.handler, get };
}

const heartbeat = (db: Db, build: string, machine: string) => {
  const now = Date.now() / 1000;
  return db.run(
    `INSERT INTO records (build, classification, system_name, machine_id, external, timestamp_client,
       timestamp_server, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [build, 'org.clearlinux/heartbeat/ping', 'clear-linux-os', machine, true, now - 60, now - 60, 'hello'],
  );
};

test('an empty database is not warmed: the first page computes, and shows a later record', async () => {
  const db = await fresh();
  const { handler, get } = await serve(db);
  assert.deepEqual(await handler.warm(), { skipped: 'empty' });
  await heartbeat(db, '31337', 'm1');
  assert.match(await get('/builds'), /31337/);
  assert.match(await get('/population'), /31337/);
});

test('warming computes every aggregate; the first visitor is then served from memory', async () => {
  const db = await fresh();
  await heartbeat(db, '31000', 'm1');
  const { handler, get } = await serve(db);
  assert.deepEqual(await handler.warm(), { warmed: [...WARM_ORDER] });
  // stored after warming: a page served from the warmed memo cannot show it yet
  await heartbeat(db, '31999', 'm2');
  const [builds, population] = [await get('/builds'), await get('/population')];
  assert.match(builds, /31000/);
  assert.doesNotMatch(builds, /31999/);
  assert.doesNotMatch(population, /31999/);
  // the peer: a handler that was not warmed computes at its first visit and shows it
  const cold = await serve(db);
  assert.match(await cold.get('/builds'), /31999/);
  assert.match(await cold.get('/population'), /31999/);
});
