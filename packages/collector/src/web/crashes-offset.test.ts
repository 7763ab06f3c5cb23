// Upstream's /crashes/offset/<n>: ten top guilties per page, ranked, with previous and next
// links, on a real SQLite database served on loopback.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Db } from '../db/types.ts';
import { openTempDb, type ServedViews, serveWebViews, type TempDb } from './web.fixtures.ts';

let temp: TempDb;
let db: Db;
let site: ServedViews;
let base = '';
const GUILTIES = 23;

before(async () => {
  temp = await openTempDb();
  db = temp.db;
  const now = Date.now() / 1000;
  // guilty g<k> crashed k times, so the ranking is g23, g22, ..., g1
  for (let k = 1; k <= GUILTIES; k++) {
    await db.run('INSERT INTO guilty (id, function, module, hide) VALUES ($1, $2, $3, $4)', [
      k,
      `g${k}()`,
      '/usr/lib/libx.so',
      false,
    ]);
    for (let i = 0; i < k; i++) {
      await db.run(
        `INSERT INTO records (build, classification, system_name, timestamp_client, timestamp_server,
           payload, processed, guilty_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        ['31000', 'org.clearlinux/crash/clr', 'clear-linux-os', now - 60, now - 60, 'x', true, k],
      );
    }
  }
  site = await serveWebViews(db);
  base = site.base;
});

after(async () => {
  await site.close();
  await temp.close();
});

async function pageOf(n: number | string) {
  const res = await fetch(`${base}/crashes/offset/${n}`);
  const text = await res.text();
  const ranks = [...text.matchAll(/<td class="rank">(\d+)<\/td><td><a class="guilty"[^>]*>g(\d+)\(\)/g)].map(
    (m) => [Number(m[1]), Number(m[2])],
  );
  return { status: res.status, text, ranks };
}

test('/crashes/offset/0 shows the ten top guilties, ranked 1 to 10, with a next link only', async () => {
  const p = await pageOf(0);
  assert.equal(p.status, 200);
  assert.deepEqual(
    p.ranks,
    Array.from({ length: 10 }, (_, i) => [i + 1, GUILTIES - i]),
  );
  assert.match(p.text, /id="next-page" href="\/telemetryui\/crashes\/offset\/1"/);
  assert.doesNotMatch(p.text, /id="prev-page"/);
  assert.match(p.text, /Guilties 1-10 of 23/);
});

test('/crashes/offset/2 starts at rank 21 and ends the list: previous link, no next', async () => {
  const p = await pageOf(2);
  assert.deepEqual(p.ranks, [
    [21, 3],
    [22, 2],
    [23, 1],
  ]);
  assert.match(p.text, /id="prev-page" href="\/telemetryui\/crashes\/offset\/1"/);
  assert.doesNotMatch(p.text, /id="next-page"/);
});

test('an offset past the end is an empty page linking back to the last one', async () => {
  const p = await pageOf(9);
  assert.equal(p.status, 200);
  assert.deepEqual(p.ranks, []);
  assert.match(p.text, /id="prev-page" href="\/telemetryui\/crashes\/offset\/2"/);
});

test('a non-numeric offset is not a build named "offset": 404', async () => {
  assert.equal((await pageOf('x')).status, 404);
});
