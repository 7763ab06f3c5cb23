// The OTLP outbox on a real directory: its bounds, what it reports when it drops a
// record, and that a new telemd finds what an earlier one kept.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createMemoryLogger } from '@telemetrics/libtelemetry/log';
import { encodeSpoolFile } from '@telemetrics/libtelemetry/wire';
import { createMetrics } from '../../observe/metrics.ts';
import type { TelemRecord } from '../../record.ts';
import { makeRecord, tempDir } from '../../spool/spool.fixtures.ts';
import { createOutbox } from './outbox.ts';

function setup(
  dir: string,
  bound: { files?: number; bytes?: number; expiryMs?: number },
  clock = { t: 1e12 },
) {
  const logger = createMemoryLogger();
  const metrics = createMetrics();
  const dropped: [string, string][] = [];
  const journal = {
    recordDropped: async (r: { headers: { event_id: string } }, reason: string) => {
      dropped.push([r.headers.event_id, reason]);
    },
    recordKeptLocal: async () => {},
  };
  const outbox = createOutbox({
    spoolDir: dir,
    logger,
    bound: { files: -1, bytes: -1, expiryMs: -1, ...bound },
    metrics,
    journal,
    now: () => clock.t++,
  });
  return { outbox, logger, metrics, dropped, clock };
}

const ids = async (o: ReturnType<typeof createOutbox>) =>
  Promise.all((await o.list()).map(async (n) => (await o.read(n))!.headers.event_id));
const id = (r: TelemRecord) => r.headers.event_id;

test('past the byte bound the oldest records are evicted, counted, journaled and logged', async () => {
  using tmp = tempDir();
  const size = encodeSpoolFile(makeRecord(1, 100)).length;
  const s = setup(tmp.dir, { bytes: size * 2 + 10 });
  const records = [1, 2, 3, 4].map((n) => makeRecord(n, 100));
  for (const r of records) await s.outbox.put(r);
  assert.deepEqual(await ids(s.outbox), records.slice(2).map(id));
  assert.equal(fs.readdirSync(s.outbox.dir).length, 2);
  assert.equal(s.metrics.getDropped('otlp_evicted'), 2);
  assert.deepEqual(
    s.dropped,
    records.slice(0, 2).map((r) => [id(r), 'otlp_evicted']),
  );
  assert.equal(s.logger.lines.filter((l) => l.includes('OTLP outbox full')).length, 2);
});

test('a record larger than the whole byte bound is not kept, and evicts nothing', async () => {
  using tmp = tempDir();
  const s = setup(tmp.dir, { bytes: 500 });
  await s.outbox.put(makeRecord(1, 20));
  await s.outbox.put(makeRecord(2, 2000));
  assert.deepEqual(await ids(s.outbox), [id(makeRecord(1, 20))]);
  assert.equal(s.metrics.getDropped('otlp_too_large'), 1);
  assert.deepEqual(s.dropped, [[id(makeRecord(2)), 'otlp_too_large']]);
});

test('enforce() deletes the records older than the expiry, oldest first, and reports each', async () => {
  using tmp = tempDir();
  const s = setup(tmp.dir, { expiryMs: 60_000 });
  await s.outbox.put(makeRecord(1));
  s.clock.t += 30_000;
  await s.outbox.put(makeRecord(2));
  s.clock.t += 40_000;
  await s.outbox.enforce();
  assert.deepEqual(await ids(s.outbox), [id(makeRecord(2))]);
  assert.equal(s.metrics.getDropped('otlp_expired'), 1);
  assert.deepEqual(s.dropped, [[id(makeRecord(1)), 'otlp_expired']]);
  assert.ok(s.logger.lines.some((l) => l.includes('expired, deleted unsent')));
});

test('a new outbox on the same directory finds the kept records and keeps bounding them', async () => {
  using tmp = tempDir();
  const first = setup(tmp.dir, {});
  for (const n of [1, 2, 3]) await first.outbox.put(makeRecord(n));
  const second = setup(tmp.dir, { files: 3 }, { t: 2e12 });
  assert.equal(second.outbox.isEmpty(), false, 'not known empty before the directory is read');
  assert.equal((await second.outbox.list()).length, 3);
  await second.outbox.put(makeRecord(4));
  assert.deepEqual(
    await ids(second.outbox),
    [2, 3, 4].map((n) => id(makeRecord(n))),
  );
  // A restart with a lower bound: the next pass trims to it.
  const third = setup(tmp.dir, { files: 1 }, { t: 3e12 });
  await third.outbox.enforce();
  assert.deepEqual(await ids(third.outbox), [id(makeRecord(4))]);
  assert.equal(third.metrics.getDropped('otlp_evicted'), 2);
  for (const name of await third.outbox.list()) await third.outbox.remove(name);
  assert.equal(third.outbox.isEmpty(), true);
  assert.deepEqual(fs.readdirSync(path.join(tmp.dir, '.otlp')), []);
});

test('records kept concurrently are all bounded: files never stay over the cap', async () => {
  using tmp = tempDir();
  const s = setup(tmp.dir, { files: 5 });
  await Promise.all(Array.from({ length: 20 }, (_, i) => s.outbox.put(makeRecord(i + 1))));
  assert.equal((await s.outbox.list()).length, 5);
  assert.equal(fs.readdirSync(s.outbox.dir).length, 5);
  assert.equal(s.metrics.getDropped('otlp_evicted'), 15);
});
