// Batched delivery (issue 15, last point) with the real telemd binary, against a stand-in for
// the collector's batch endpoint (test/helpers/batch-collector.ts: a stand-in until the real
// collector with that endpoint lands; the lead adds the e2e against it at merge). A spool left
// by an earlier run is drained: one record per POST until the collector has advertised the
// batch endpoint, then several per request; a spool file goes only once its entry says 201.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { TelemetryConfig } from '@telemetrics/libtelemetry/config';
import { waitUntil } from '../helpers/poll.ts';
import { type BatchCollector, startBatchCollector } from '../helpers/batch-collector.ts';
import { type SpawnedTelemd, spawnTelemd, tempDir } from '../helpers/telemd.ts';
import { drainedSpool as drained, writeCSpool as writeSpool } from '../helpers/spool.ts';

function storedOnce(c: BatchCollector, ids: readonly string[]): void {
  const seen = c.records.map((r) => r.event_id).sort();
  assert.deepEqual(seen, [...ids].sort(), 'every record stored exactly once');
}

/**
 * Leaves `count` records (event ids from `base`) in a spool as an earlier run would, starts
 * telemd on it against `c`, waits for the collector to hold them all and the spool to empty,
 * checks each was stored exactly once, then runs `check` while telemd is still up.
 */
async function drainSpoolOnce(
  c: BatchCollector,
  spoolRecords: { readonly count: number; readonly base: number },
  check: (telemd: SpawnedTelemd) => void,
  settings: Partial<TelemetryConfig> = {},
): Promise<void> {
  const root = tempDir();
  const spool = path.join(root, 'spool');
  const ids = writeSpool(spool, spoolRecords.count, spoolRecords.base);
  try {
    await using p = await spawnTelemd({ server: c.v2Url, spool_dir: spool, ...settings });
    await c.waitForRecords(ids.length);
    await drained(spool);
    storedOnce(c, ids);
    check(p);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

test('an advertising collector gets the spool in batches; every record stored once', async () => {
  await using c = await startBatchCollector({ maxRecords: 40 });
  await drainSpoolOnce(c, { count: 300, base: 0xba7c_0000 }, (p) => {
    const batches = c.requests.filter((r) => r.path === '/v2/collector/batch');
    assert.ok(batches.length >= 3, `batches: ${batches.length}`);
    assert.ok(batches.every((r) => r.status === 200 && r.records >= 1 && r.records <= 40));
    assert.equal(c.requests[0]?.path, '/v2/collector', 'one record per POST until the advert is seen');
    assert.match(p.log(), /collector advertises batched delivery/);
  });
});

test('per-record answers: 400 is quarantined as refused with its message, 503 stays and is retried', async () => {
  await using c = await startBatchCollector({ maxRecords: 20 });
  const root = tempDir();
  const spool = path.join(root, 'spool');
  const ids = writeSpool(spool, 60, 0xba7d_0000);
  // Entries named after spool files r00030 (refused) and r00031 (not stored yet) in batches.
  let unavailable = true;
  c.fault = (r) =>
    r.path === '/v2/collector/batch'
      ? { entryStatus: (id) => (id === 'r00030' ? 400 : id === 'r00031' && unavailable ? 503 : undefined) }
      : undefined;
  try {
    await using p = await spawnTelemd({
      server: c.v2Url,
      spool_dir: spool,
      delivery_retry_base_ms: 200,
      delivery_retry_max_ms: 400,
    });
    // Unless r00030/r00031 went out as single POSTs before the advert was seen, the batch
    // answers decide: wait for everything else, then check the two.
    await c.waitForRecords(ids.length - 2);
    const inBatch = c.requests.some((r) => r.path === '/v2/collector/batch');
    assert.ok(inBatch);
    const q = path.join(spool, '.quarantine');
    await waitUntil(
      () => fs.existsSync(q) && fs.readdirSync(q).some((n) => n.endsWith('-refused-r00030.reason.json')),
      () => `r00030 quarantined as refused:\n${p.log()}`,
      30_000,
      20,
    );
    const note = JSON.parse(
      fs.readFileSync(
        path.join(q, fs.readdirSync(q).find((n) => n.endsWith('-refused-r00030.reason.json'))!),
        'utf8',
      ),
    ) as { status: number; detail: string };
    assert.equal(note.status, 400);
    assert.match(note.detail, /injected 400/);
    assert.ok(fs.existsSync(path.join(spool, 'r00031')), 'a 503 entry keeps its spool file');
    unavailable = false;
    await drained(spool);
    assert.equal(c.records.filter((r) => r.event_id === ids[31]).length, 1);
    assert.equal(c.records.filter((r) => r.event_id === ids[30]).length, 0);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a legacy collector (no advert) gets one record per POST', async () => {
  await using c = await startBatchCollector({ advertise: false });
  await drainSpoolOnce(c, { count: 50, base: 0xba7e_0000 }, () => {
    assert.ok(c.requests.every((r) => r.path === '/v2/collector' && r.records === 1));
  });
});

test('404 on the advertised batch path: back to one record per POST, nothing lost', async () => {
  await using c = await startBatchCollector({ maxRecords: 25 });
  c.fault = (r) => (r.path === '/v2/collector/batch' ? { status: 404 } : undefined);
  await drainSpoolOnce(c, { count: 120, base: 0xba7f_0000 }, (p) => {
    const batches = c.requests.filter((r) => r.path === '/v2/collector/batch');
    // Only the batches already collected when the first 404 came back; none after.
    assert.ok(batches.length >= 1 && batches.length <= 8, `batch attempts: ${batches.length}`);
    const last = c.requests.lastIndexOf(batches.at(-1)!);
    assert.ok(c.requests.length - last > 50, 'most records went one per POST after the 404');
    assert.match(p.log(), /batch endpoint not served; one record per POST/);
  });
});

test('a batch refused as a whole (400) is posted one by one; a 503 batch is retried; nothing lost or doubled', async () => {
  await using c = await startBatchCollector({ maxRecords: 30 });
  let batchesSeen = 0;
  c.fault = (r) => {
    if (r.path !== '/v2/collector/batch') return undefined;
    batchesSeen++;
    return batchesSeen === 1 ? { status: 400 } : batchesSeen === 2 ? { status: 503 } : undefined;
  };
  await drainSpoolOnce(
    c,
    { count: 150, base: 0xba80_0000 },
    (p) => {
      assert.match(p.log(), /batch refused as a whole; posting those records one by one/);
      assert.match(p.log(), /delivery failed, records stay in the spool reason="batch: HTTP 503/);
      assert.ok(
        c.requests.filter((r) => r.path === '/v2/collector/batch' && r.status === 200).length >= 1,
        'batching resumed after the failures',
      );
    },
    { delivery_retry_base_ms: 200, delivery_retry_max_ms: 400 },
  );
});
