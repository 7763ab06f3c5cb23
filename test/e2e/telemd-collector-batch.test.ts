// telemd drains a spool into the real telemetrics-collector (built, on its embedded SQLite):
// the collector advertises its batch endpoint on the first single POST, telemd switches to
// batches, and every spool file is gone only once the collector's database holds its record,
// exactly once. The batch contract is in docs/collector-api.md; its failure modes (entry 503,
// whole-batch refusals, a vanished endpoint) are driven with the stand-in in
// telemd-delivery-batch.test.ts, since the real collector cannot be made to answer them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { spawnCollector } from '../helpers/collector-process.ts';
import { drainedSpool, writeCSpool } from '../helpers/spool.ts';
import { spawnTelemd, tempDir } from '../helpers/telemd.ts';

test('telemd delivers a 400-record spool to the real collector in batches; the database holds each record once', async () => {
  const root = tempDir();
  const spool = path.join(root, 'spool');
  const dbFile = path.join(root, 'collector.db');
  const ids = writeCSpool(spool, 400, 0xc011_0000);
  try {
    const collector = await spawnCollector({ db: `sqlite:${dbFile}` });
    try {
      await using telemd = await spawnTelemd({ server: collector.v2Url, spool_dir: spool });
      await drainedSpool(spool, 60_000);
      assert.match(telemd.log(), /collector advertises batched delivery/);
    } finally {
      collector.child.kill('SIGTERM');
      assert.equal(await collector.exited, 0, collector.log());
    }
    const db = new DatabaseSync(dbFile, { readOnly: true });
    try {
      const rows = db.prepare('SELECT event_id, count(*) AS n FROM records GROUP BY event_id').all() as {
        event_id: string;
        n: number;
      }[];
      assert.deepEqual(rows.map((r) => r.event_id).sort(), [...ids].sort(), 'every spooled record is stored');
      assert.ok(
        rows.every((r) => r.n === 1),
        'no record stored twice',
      );
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
