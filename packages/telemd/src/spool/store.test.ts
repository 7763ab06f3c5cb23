import assert from 'node:assert/strict';
import {
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createMemoryLogger, type Logger } from '@telemetrics/libtelemetry/log';
import { encodeSpoolFile } from '@telemetrics/libtelemetry/wire';
import { makeRecord, OK, scriptedSink, tempDir } from './spool.fixtures.ts';
import { vectorPath } from '../../../../test/helpers/vectors.ts';
import { createLimiter } from '../pipeline/limiter.ts';
import type { Sink } from '../deliver/sink.ts';
import { createMetrics, type Metrics } from '../observe/metrics.ts';
import { createDrainer } from '../pipeline/drain.ts';
import { createQuarantine, type Quarantine, QUARANTINE_DIR } from '../pipeline/quarantine.ts';
import { createSpoolStore, type SpoolStore } from './store.ts';

const uid = process.getuid!();
const noLimits = createLimiter(
  {
    rate_limit_enabled: false,
    record_burst_limit: -1,
    record_window_length: 15,
    byte_burst_limit: -1,
    byte_window_length: 20,
  },
  () => 0,
);

/** A drainer with no limits, no expiry and the spool's quarantine: what these tests vary is the spool. */
function plainDrainer(
  store: SpoolStore,
  sink: Sink,
  logger: Logger,
  metrics: Metrics = createMetrics(),
  quarantine: Quarantine = createQuarantine({ spoolDir: store.dir, logger }),
) {
  return createDrainer({
    store,
    quarantine,
    sink,
    limiter: noLimits,
    metrics,
    logger,
    strategy: 'spool',
    deliveryEnabled: true,
    recordExpiryMinutes: -1,
    processTimeMs: 120_000,
  });
}

test('put writes C format under a 16-char name (never a C 6-char one), mode 0600, no temp left; read strips BUG-18 LF', async () => {
  using tmp = tempDir();
  const store = createSpoolStore({ dir: tmp.dir, maxBytes: -1, uid });
  await store.open();
  const rec = makeRecord(1);
  const put = await store.put(rec);
  assert.ok(put.ok);
  assert.match(put.entry.name, /^[A-Za-z0-9]{16}$/);
  assert.deepEqual(readdirSync(tmp.dir), [put.entry.name]);
  const file = path.join(tmp.dir, put.entry.name);
  assert.deepEqual(readFileSync(file), encodeSpoolFile(rec));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(store.bytes, statSync(file).size);
  assert.equal(store.files, 1);
  const read = await store.read(put.entry.name);
  assert.ok(read.ok);
  assert.deepEqual(read.record.payload, rec.payload);
  await store.remove(put.entry.name);
  assert.equal(store.bytes, 0);
  await store.remove(put.entry.name); // ENOENT is fine
});

test('directory fsyncs are grouped under concurrent puts', async () => {
  using tmp = tempDir();
  const store = createSpoolStore({ dir: tmp.dir, maxBytes: -1, uid });
  await store.open();
  const results = await Promise.all(Array.from({ length: 64 }, (_, i) => store.put(makeRecord(i))));
  assert.ok(results.every((r) => r.ok));
  assert.equal(readdirSync(tmp.dir).length, 64);
  assert.ok(store.dirSyncs < 64, `expected grouping, got ${store.dirSyncs} dir fsyncs for 64 puts`);
  assert.ok(store.dirSyncs >= 1);
});

test('open() removes stale temp files and measures what is there (C files included)', async () => {
  using tmp = tempDir();
  writeFileSync(path.join(tmp.dir, '.tmp-999999999-deadbeef'), 'half a rec');
  // Our own pid: another pipeline of this process (config reload) is writing it: kept.
  writeFileSync(path.join(tmp.dir, `.tmp-${process.pid}-0123`), 'in progress');
  copyFileSync(vectorPath('spool/v2.4.3-hprobe.spool'), path.join(tmp.dir, 'Ab12Cd'));
  const store = createSpoolStore({ dir: tmp.dir, maxBytes: -1, uid });
  const { tempsRemoved, tempsRecovered } = await store.open();
  assert.equal(tempsRemoved, 1);
  assert.equal(tempsRecovered, 0);
  assert.deepEqual(readdirSync(tmp.dir).sort(), [`.tmp-${process.pid}-0123`, 'Ab12Cd']);
  assert.equal(store.bytes, statSync(path.join(tmp.dir, 'Ab12Cd')).size);
  const list = await store.list();
  assert.deepEqual(
    list.records.map((r) => r.name),
    ['Ab12Cd'],
  );
});

test('spool_max_size: the newest record is refused, nothing spooled is touched', async () => {
  using tmp = tempDir();
  const size = encodeSpoolFile(makeRecord(0)).length;
  const store = createSpoolStore({ dir: tmp.dir, maxBytes: size * 3 + 10, uid });
  await store.open();
  const results = await Promise.all(Array.from({ length: 5 }, (_, i) => store.put(makeRecord(i))));
  assert.equal(results.filter((r) => r.ok).length, 3);
  const refused = results.filter((r) => !r.ok);
  assert.equal(refused.length, 2);
  for (const r of refused) if (!r.ok) assert.equal(r.reason, 'full');
  assert.equal(readdirSync(tmp.dir).length, 3);
  assert.ok(store.bytes <= store.maxBytes);
});

test('list() sees files others add and forgets files others remove', async () => {
  using tmp = tempDir();
  const store = createSpoolStore({ dir: tmp.dir, maxBytes: -1, uid });
  await store.open();
  const put = await store.put(makeRecord(1));
  assert.ok(put.ok);
  copyFileSync(vectorPath('spool/v2.3.5-special.spool'), path.join(tmp.dir, 'zzzzzz'));
  let list = await store.list();
  assert.equal(list.records.length, 2);
  const both = store.bytes;
  assert.equal(both, put.entry.bytes + statSync(path.join(tmp.dir, 'zzzzzz')).size);
  (await import('node:fs')).unlinkSync(path.join(tmp.dir, put.entry.name));
  list = await store.list();
  assert.equal(list.records.length, 1);
  assert.equal(store.bytes, both - put.entry.bytes);
});

test("the first list() after open() uses open()'s scan unless a record was put since", async () => {
  using tmp = tempDir();
  copyFileSync(vectorPath('spool/v2.3.5-special.spool'), path.join(tmp.dir, 'aaaaaa'));
  const store = createSpoolStore({ dir: tmp.dir, maxBytes: -1, uid });
  await store.open();
  // A file that appears after open() is not in its scan: the first list() did not rescan...
  copyFileSync(vectorPath('spool/v2.3.5-special.spool'), path.join(tmp.dir, 'bbbbbb'));
  assert.deepEqual(
    (await store.list()).records.map((r) => r.name),
    ['aaaaaa'],
  );
  // ...and every later one does.
  assert.deepEqual((await store.list()).records.map((r) => r.name).sort(), ['aaaaaa', 'bbbbbb']);

  // A put() between open() and the first list() makes that list() rescan, so it lists the record.
  using tmp2 = tempDir();
  const store2 = createSpoolStore({ dir: tmp2.dir, maxBytes: -1, uid });
  await store2.open();
  const put = await store2.put(makeRecord(2));
  assert.ok(put.ok);
  assert.deepEqual(
    (await store2.list()).records.map((r) => r.name),
    [put.entry.name],
  );
});

test('oldest first by mtime', async () => {
  using tmp = tempDir();
  const store = createSpoolStore({ dir: tmp.dir, maxBytes: -1, uid });
  await store.open();
  const names: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await store.put(makeRecord(i));
    assert.ok(r.ok);
    names.push(r.entry.name);
    // distinct, decreasing mtimes: the last written is the oldest
    const t = new Date(Date.UTC(2026, 0, 1, 0, 0, 50 - i * 10));
    utimesSync(path.join(tmp.dir, r.entry.name), t, t);
  }
  const list = await store.list();
  assert.deepEqual(
    list.records.map((r) => r.name),
    [...names].reverse(),
  );
});

test('corrupt, truncated, zero-byte, foreign-owned, symlinked, directory and FIFO entries are quarantined; good ones delivered', async () => {
  using tmp = tempDir();
  const dir = tmp.dir;
  const old = new Date(Date.now() - 3600_000);
  const good = readFileSync(vectorPath('spool/v2.4.3-special.spool'));
  writeFileSync(path.join(dir, 'good01'), good);
  writeFileSync(path.join(dir, 'corrup'), 'this is not a record\n');
  writeFileSync(path.join(dir, 'trunca'), good.subarray(0, good.length - 40));
  writeFileSync(path.join(dir, 'zerobt'), '');
  writeFileSync(path.join(dir, 'foreig'), good);
  chownSync(path.join(dir, 'foreig'), 65534, 65534); // nobody: we run as root in CI
  writeFileSync(path.join(tmp.dir, '..', `${path.basename(dir)}-target`), good);
  symlinkSync(path.join(tmp.dir, '..', `${path.basename(dir)}-target`), path.join(dir, 'symlnk'));
  mkdirSync(path.join(dir, 'adirec'));
  const { execFileSync } = await import('node:child_process');
  execFileSync('mkfifo', [path.join(dir, 'afifo1')]);
  writeFileSync(path.join(dir, 'good02'), readFileSync(vectorPath('spool/v2.3.5-hprobe-cfg.spool')));
  for (const n of readdirSync(dir)) if (n !== 'symlnk') utimesSync(path.join(dir, n), old, old);

  const logger = createMemoryLogger();
  const metrics = createMetrics();
  const store = createSpoolStore({ dir, maxBytes: -1, uid });
  await store.open();
  const quarantine = createQuarantine({ spoolDir: dir, logger });
  const sink = scriptedSink(() => OK);
  const drainer = plainDrainer(store, sink, logger, metrics, quarantine);
  const result = await drainer.runPass();
  await drainer.close();
  assert.equal(result.delivered, 2);
  assert.equal(sink.delivered.length, 2);
  assert.deepEqual(readdirSync(dir).sort(), [QUARANTINE_DIR]);
  const q = readdirSync(path.join(dir, QUARANTINE_DIR));
  for (const n of ['corrup', 'trunca', 'zerobt', 'foreig', 'symlnk', 'adirec', 'afifo1']) {
    assert.ok(
      q.some((f) => f.endsWith(`-${n}`)),
      `${n} quarantined (have ${q.join(' ')})`,
    );
    assert.ok(q.some((f) => f.endsWith(`-${n}.reason.json`)));
  }
  assert.equal(metrics.get('quarantined'), 7);
  // the symlink was moved as a link; its target is untouched
  assert.ok(existsSync(path.join(tmp.dir, '..', `${path.basename(dir)}-target`)));
  (await import('node:fs')).rmSync(path.join(tmp.dir, '..', `${path.basename(dir)}-target`));
  assert.ok(logger.lines.some((l) => l.includes('quarantined') && l.includes('reason=foreign')));
});

test('a young unparsable file (a C writer may still be writing it) is left alone', async () => {
  using tmp = tempDir();
  writeFileSync(path.join(tmp.dir, 'inprog'), 'record_format_version: 4\n');
  const logger = createMemoryLogger();
  const store = createSpoolStore({ dir: tmp.dir, maxBytes: -1, uid });
  await store.open();
  const drainer = plainDrainer(
    store,
    scriptedSink(() => OK),
    logger,
  );
  await drainer.runPass();
  await drainer.close();
  assert.deepEqual(readdirSync(tmp.dir), ['inprog']);
});

test('quarantine is bounded: the oldest entries go first, with a log line', async () => {
  using tmp = tempDir();
  const logger = createMemoryLogger();
  let now = 1_000_000;
  const q = createQuarantine({ spoolDir: tmp.dir, logger, maxFiles: 3, wallNow: () => now++ });
  for (let i = 0; i < 5; i++) {
    writeFileSync(path.join(tmp.dir, `bad00${i}`), 'x');
    assert.equal(await q.move(`bad00${i}`, { reason: 'format', detail: 'test' }), 'moved');
  }
  const left = readdirSync(q.dir).filter((n) => !n.endsWith('.reason.json'));
  assert.deepEqual(
    left.map((n) => n.slice(-6)),
    ['bad002', 'bad003', 'bad004'],
  );
  assert.equal(readdirSync(q.dir).length, 6);
  assert.equal(logger.lines.filter((l) => l.includes('quarantine full')).length, 2);
  const side = JSON.parse(readFileSync(path.join(q.dir, `${left[0]}.reason.json`), 'utf8'));
  assert.equal(side.reason, 'format');
  assert.equal(side.name, 'bad002');
});

test('an entry that cannot be quarantined is logged once and skipped; the others are still delivered', async () => {
  using tmp = tempDir();
  const old = new Date(Date.now() - 3600_000);
  writeFileSync(path.join(tmp.dir, QUARANTINE_DIR), 'a file where the folder should be: mkdir fails');
  writeFileSync(path.join(tmp.dir, 'corrup'), 'not a record\n');
  utimesSync(path.join(tmp.dir, 'corrup'), old, old);
  copyFileSync(vectorPath('spool/v2.4.3-hprobe.spool'), path.join(tmp.dir, 'good01'));
  const logger = createMemoryLogger();
  const store = createSpoolStore({ dir: tmp.dir, maxBytes: -1, uid });
  await store.open();
  const sink = scriptedSink(() => OK);
  const drainer = plainDrainer(store, sink, logger);
  await drainer.runPass();
  await drainer.runPass();
  await drainer.close();
  assert.equal(sink.delivered.length, 1);
  assert.equal(logger.lines.filter((l) => l.includes('cannot move spool entry to quarantine')).length, 1);
  assert.ok(existsSync(path.join(tmp.dir, 'corrup')), 'not deleted');
});

test('leases are shared by the stores of one directory (a reload runs two pipelines for a moment)', async () => {
  using tmp = tempDir();
  const a = createSpoolStore({ dir: tmp.dir, maxBytes: -1, uid });
  const b = createSpoolStore({ dir: `${tmp.dir}/`, maxBytes: -1, uid });
  await a.open();
  await b.open();
  const put = await a.put(makeRecord(1), { lease: true });
  assert.ok(put.ok);
  assert.equal(b.tryLease(put.entry.name), false, 'held by a');
  assert.deepEqual((await b.list()).records, [], 'b does not offer a leased record');
  a.release(put.entry.name);
  assert.equal(b.tryLease(put.entry.name), true);
  b.release(put.entry.name);
});

test('open() recovers a temp file holding a complete record under a record name (issue 14)', async () => {
  using tmp = tempDir();
  const complete = encodeSpoolFile(makeRecord(77));
  writeFileSync(path.join(tmp.dir, '.tmp-999999999-cafe-1'), complete);
  writeFileSync(path.join(tmp.dir, '.tmp-999999999-cafe-2'), complete.subarray(0, complete.length - 5));
  const store = createSpoolStore({ dir: tmp.dir, maxBytes: -1, uid });
  const { tempsRemoved, tempsRecovered } = await store.open();
  assert.deepEqual({ tempsRemoved, tempsRecovered }, { tempsRemoved: 1, tempsRecovered: 1 });
  const names = readdirSync(tmp.dir);
  assert.equal(names.length, 1);
  assert.match(names[0]!, /^[A-Za-z0-9]{16}$/);
  assert.deepEqual(readFileSync(path.join(tmp.dir, names[0]!)), complete);
  assert.equal(store.files, 1);
  assert.equal(store.bytes, complete.length);
  assert.deepEqual(
    (await store.list()).records.map((r) => r.name),
    names,
  );
});
