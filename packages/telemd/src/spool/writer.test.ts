// The spool writer thread (writer.ts) as store.ts uses it: batches, group
// commit, lazy start, and above all what happens when the thread dies.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { createMemoryLogger } from '@telemetrics/libtelemetry/log';
import { encodeSpoolFile } from '@telemetrics/libtelemetry/wire';
import { makeRecord, smallTmpfs, tempDir } from './spool.fixtures.ts';
import { createSpoolStore, NAME_LENGTH, type PutResult, type SpoolStoreOptions } from './store.ts';

const uid = process.getuid!();

function open(dir: string, extra: Partial<SpoolStoreOptions> = {}) {
  const threads: Worker[] = [];
  const logger = createMemoryLogger();
  const store = createSpoolStore({
    dir,
    maxBytes: -1,
    uid,
    logger,
    ...extra,
    onWriterThread: (w) => {
      threads.push(w);
      extra.onWriterThread?.(w);
    },
  });
  return { store, threads, logger };
}

/** Every put resolved ok, each record is in the spool exactly once with its exact bytes, no temp file. */
function assertSpooled(dir: string, results: PutResult[], records: ReturnType<typeof makeRecord>[]) {
  const names = results.map((r, i) => {
    assert.ok(r.ok, `put ${i}: ${r.ok ? '' : `${r.reason} ${r.detail}`}`);
    return r.entry.name;
  });
  assert.equal(new Set(names).size, names.length, 'one name per record');
  const listed = readdirSync(dir);
  assert.deepEqual(
    listed.filter((n) => n.startsWith('.')),
    [],
    'no temp file left',
  );
  assert.deepEqual([...listed].sort(), [...names].sort(), 'nothing but the accepted records');
  records.forEach((rec, i) => {
    assert.deepEqual(readFileSync(path.join(dir, names[i]!)), encodeSpoolFile(rec));
  });
}

test('writer thread: concurrent puts in batches, exact bytes, one directory fsync per batch, stops at close', async () => {
  using tmp = tempDir();
  const { store, threads } = open(tmp.dir, { writer: 'thread' });
  await store.open();
  const records = Array.from({ length: 300 }, (_, i) => makeRecord(i, 1 + ((i * 37) % 900)));
  const results = await Promise.all(records.map((r) => store.put(r)));
  assertSpooled(tmp.dir, results, records);
  for (const r of results) if (r.ok) assert.match(r.entry.name, new RegExp(`^[A-Za-z0-9]{${NAME_LENGTH}}$`));
  const sizes = readdirSync(tmp.dir).reduce((sum, n) => sum + statSync(path.join(tmp.dir, n)).size, 0);
  assert.equal(store.bytes, sizes);
  assert.equal(store.files, 300);
  assert.ok(store.dirSyncs >= 1 && store.dirSyncs < 300, `grouped: ${store.dirSyncs} dir fsyncs`);
  assert.equal(threads.length, 1);
  const exited = once(threads[0]!, 'exit');
  await store.close();
  await exited;
  assert.deepEqual(await store.put(makeRecord(999)), {
    ok: false,
    reason: 'io',
    code: 'ECLOSED',
    detail: 'spool store is closed',
  });
});

test('auto: a lone record is written without a thread; a burst starts one', async () => {
  using tmp = tempDir();
  const { store, threads } = open(tmp.dir);
  await store.open();
  const first = makeRecord(0);
  const lone = await store.put(first);
  assert.equal(threads.length, 0, 'no thread for one record');
  const burst = Array.from({ length: 60 }, (_, i) => makeRecord(i + 1));
  const results = await Promise.all(burst.map((r) => store.put(r)));
  assert.equal(threads.length, 1, 'a burst starts the thread');
  assertSpooled(tmp.dir, [lone, ...results], [first, ...burst]);
  await store.close();
});

test('the writer thread killed at random moments: every put still succeeds, each record once, errors logged', async () => {
  for (let round = 0; round < 6; round++) {
    using tmp = tempDir();
    // Kill each thread at birth, or 0..8 ms after it is up: before, during (a batch of 400
    // records takes a few ms) or after a batch.
    const { store, threads, logger } = open(tmp.dir, {
      writer: 'thread',
      onWriterThread: (w) => {
        if (round === 0) void w.terminate();
        else w.once('online', () => setTimeout(() => void w.terminate(), (round - 1) * 2));
      },
    });
    await store.open();
    const records = Array.from({ length: 400 }, (_, i) => makeRecord(i, 2000 + ((i * 13) % 6000)));
    const results = await Promise.all(records.map((r) => store.put(r)));
    assertSpooled(tmp.dir, results, records);
    assert.equal(store.files, 400);
    const sizes = readdirSync(tmp.dir).reduce((sum, n) => sum + statSync(path.join(tmp.dir, n)).size, 0);
    assert.equal(store.bytes, sizes, 'accounting exact after recovery');
    assert.ok(threads.length >= 1);
    if (logger.lines.some((l) => l.includes('spool writer thread died'))) {
      assert.ok(logger.lines.every((l) => !l.includes('spool writer thread died') || l.startsWith('<3>')));
    }
    await store.close();
  }
});

test('a thread that keeps dying is given up after 3 deaths; records go through the thread pool', async () => {
  using tmp = tempDir();
  const { store, threads, logger } = open(tmp.dir, {
    writer: 'thread',
    onWriterThread: (w) => void w.terminate(),
  });
  await store.open();
  const records: ReturnType<typeof makeRecord>[] = [];
  const results: PutResult[] = [];
  for (let burst = 0; burst < 5; burst++) {
    const batch = Array.from({ length: 20 }, (_, i) => makeRecord(burst * 20 + i));
    records.push(...batch);
    results.push(...(await Promise.all(batch.map((r) => store.put(r)))));
  }
  assertSpooled(tmp.dir, results, records);
  assert.equal(threads.length, 3);
  assert.equal(logger.lines.filter((l) => l.includes('spool writer thread died')).length, 3);
  await store.close();
});

test('ENOSPC through the writer thread: returned per record, spooled files intact, no temp left', async (t) => {
  using tmp = tempDir();
  using fs64k = smallTmpfs(t, tmp.dir, '64k');
  if (!fs64k) return;
  const mnt = fs64k.dir;
  const { store } = open(mnt, { writer: 'thread' });
  await store.open();
  const records = Array.from({ length: 40 }, (_, i) => makeRecord(i, 8000));
  const results = await Promise.all(records.map((r) => store.put(r)));
  const ok = results.filter((r) => r.ok);
  assert.ok(ok.length > 0 && ok.length < 40, `some records fit, not all (${ok.length})`);
  for (const r of results) if (!r.ok) assert.deepEqual([r.reason, r.code], ['io', 'ENOSPC']);
  const files = readdirSync(mnt);
  assert.deepEqual(
    files.filter((f) => f.startsWith('.')),
    [],
  );
  assert.equal(files.length, ok.length);
  results.forEach((r, i) => {
    if (r.ok) assert.deepEqual(readFileSync(path.join(mnt, r.entry.name)), encodeSpoolFile(records[i]!));
  });
  assert.equal(store.files, ok.length);
  assert.equal(
    store.bytes,
    files.reduce((sum, n) => sum + statSync(path.join(mnt, n)).size, 0),
  );
  await store.close();
});
