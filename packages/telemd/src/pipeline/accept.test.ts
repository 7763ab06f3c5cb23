import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { readdirSync, readFileSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createMemoryLogger } from '@telemetrics/libtelemetry/log';
import { encodeSpoolFile } from '@telemetrics/libtelemetry/wire';
import { DOWN, idOf, makeRecord, OK, scriptedSink, smallTmpfs, tempDir } from '../spool/spool.fixtures.ts';
import type { DeliveryOutcome } from '../deliver/sink.ts';
import { createLimiter, type LimiterConfig } from './limiter.ts';
import { CHANNELS, createMetrics, createStatusWriter } from '../observe/metrics.ts';
import { createDrainer } from './drain.ts';
import { createQuarantine, QUARANTINE_DIR } from './quarantine.ts';
import { createSpoolPipeline } from './accept.ts';
import { createSpoolStore } from '../spool/store.ts';

const uid = process.getuid!();
const NO_LIMITS: LimiterConfig = {
  rate_limit_enabled: false,
  record_burst_limit: -1,
  record_window_length: 15,
  byte_burst_limit: -1,
  byte_window_length: 20,
};

async function setup(
  dir: string,
  answer: (r: ReturnType<typeof makeRecord>) => DeliveryOutcome | Promise<DeliveryOutcome>,
  opts: {
    limits?: LimiterConfig;
    strategy?: 'spool' | 'drop';
    maxBytes?: number;
    mono?: () => number;
    wall?: () => number;
    expiry?: number;
    maxPerPass?: number;
  } = {},
) {
  const logger = createMemoryLogger();
  const metrics = createMetrics();
  const store = createSpoolStore({ dir, maxBytes: opts.maxBytes ?? -1, uid });
  await store.open();
  const quarantine = createQuarantine({ spoolDir: dir, logger });
  const sink = scriptedSink(answer);
  const limiter = createLimiter(opts.limits ?? NO_LIMITS, opts.mono ?? (() => 0));
  const drainer = createDrainer({
    store,
    quarantine,
    sink,
    limiter,
    metrics,
    logger,
    strategy: opts.strategy ?? 'spool',
    deliveryEnabled: true,
    recordExpiryMinutes: opts.expiry ?? -1,
    processTimeMs: 120_000,
    random: () => 0.5,
    ...(opts.maxPerPass ? { maxPerPass: opts.maxPerPass } : {}),
    ...(opts.mono ? { monotonicNow: opts.mono } : {}),
    ...(opts.wall ? { wallNow: opts.wall } : {}),
  });
  const pipeline = createSpoolPipeline({
    store,
    sink,
    limiter,
    drainer,
    quarantine,
    logger,
    metrics,
    deliveryEnabled: true,
    strategy: opts.strategy ?? 'spool',
  });
  return {
    logger,
    metrics,
    store,
    sink,
    drainer,
    pipeline,
    async [Symbol.asyncDispose]() {
      await pipeline.close();
      await drainer.close();
      await store.close();
    },
  };
}

test('server up: accepted records are delivered and unlinked; counters agree', async () => {
  using tmp = tempDir();
  await using s = await setup(tmp.dir, () => OK);
  for (let i = 0; i < 10; i++) await s.pipeline.accept(makeRecord(i));
  await s.pipeline.idle();
  assert.deepEqual(
    [...s.sink.delivered].sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.deepEqual(readdirSync(tmp.dir), []);
  assert.equal(s.metrics.get('accepted'), 10);
  assert.equal(s.metrics.get('delivered'), 10);
  assert.equal(s.store.bytes, 0);
});

test('write-ahead: the record is on disk before the first delivery attempt starts', async () => {
  using tmp = tempDir();
  const seen: string[][] = [];
  await using s = await setup(tmp.dir, () => {
    seen.push(readdirSync(tmp.dir));
    return OK;
  });
  await s.pipeline.accept(makeRecord(7));
  await s.pipeline.idle();
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.length, 1, 'the spool file existed while the sink ran');
});

test('server down: records stay spooled, one attempt then backoff (no hammering); server back: drained oldest first', async () => {
  using tmp = tempDir();
  let up = false;
  let mono = 0;
  await using s = await setup(tmp.dir, () => (up ? OK : DOWN), { mono: () => mono });
  for (let i = 0; i < 20; i++) await s.pipeline.accept(makeRecord(i));
  await s.pipeline.idle();
  assert.equal(readdirSync(tmp.dir).length, 20);
  assert.ok(s.drainer.backingOff);
  const attemptsWhileDown = s.sink.attempts.length;
  assert.ok(attemptsWhileDown <= 16, `direct attempts bounded, got ${attemptsWhileDown}`);
  // During backoff a pass sends nothing.
  const r1 = await s.drainer.runPass();
  assert.equal(r1.stoppedBy, 'backoff');
  assert.equal(s.sink.attempts.length, attemptsWhileDown);
  // Backoff over, server still down: exactly one attempt, then backoff again.
  mono += 3_600_000;
  const r2 = await s.drainer.runPass();
  assert.equal(r2.stoppedBy, 'retryable');
  assert.equal(s.sink.attempts.length, attemptsWhileDown + 1);
  assert.equal(s.drainer.failures, 2);
  // Server back.
  up = true;
  mono += 3_600_000;
  const r3 = await s.drainer.runPass();
  assert.equal(r3.stoppedBy, 'done');
  assert.equal(r3.delivered, 20);
  assert.deepEqual(s.sink.delivered, [...Array(20).keys()], 'oldest first');
  assert.equal(s.drainer.failures, 0);
  assert.deepEqual(readdirSync(tmp.dir), []);
  assert.ok(s.metrics.get('spooled') >= 20);
  assert.ok(
    s.logger.lines.filter((l) => l.includes('delivery failed')).length <= 2,
    'failures logged once per streak',
  );
});

test('a direct success after an outage triggers an immediate drain (server came back)', async () => {
  using tmp = tempDir();
  let up = false;
  let mono = 0;
  await using s = await setup(tmp.dir, () => (up ? OK : DOWN), { mono: () => mono });
  s.drainer.start();
  for (let i = 0; i < 3; i++) await s.pipeline.accept(makeRecord(i));
  await s.pipeline.idle();
  mono += 3_600_000; // backoff over; next accept tries directly
  up = true;
  const drained = new Promise<void>((resolve) => {
    const ch = diagnostics_channel.channel(CHANNELS.delivered);
    const on = () => {
      if (s.sink.delivered.length === 4) {
        ch.unsubscribe(on);
        resolve();
      }
    };
    ch.subscribe(on);
  });
  await s.pipeline.accept(makeRecord(3));
  await drained;
  assert.deepEqual([...s.sink.delivered].sort(), [0, 1, 2, 3]);
});

test('Retry-After is honoured: no attempt before it, even when backoff would allow one', async () => {
  using tmp = tempDir();
  let mono = 0;
  let answer: DeliveryOutcome = { kind: 'retryable', reason: 'HTTP 503', status: 503, retryAfterMs: 600_000 };
  await using s = await setup(tmp.dir, () => answer, { mono: () => mono });
  await s.pipeline.accept(makeRecord(1));
  await s.pipeline.idle();
  mono += 599_000;
  assert.equal((await s.drainer.runPass()).stoppedBy, 'backoff');
  mono += 2_000;
  answer = OK;
  assert.equal((await s.drainer.runPass()).delivered, 1);
});

test('429 and 500 are retried; 400 is quarantined with the answer and counted', async () => {
  using tmp = tempDir();
  let mono = 0;
  const answers: DeliveryOutcome[] = [
    { kind: 'retryable', reason: 'HTTP 429', status: 429 },
    { kind: 'retryable', reason: 'HTTP 500', status: 500 },
    { kind: 'permanent', reason: 'HTTP 400: bad arch', status: 400 },
  ];
  await using s = await setup(tmp.dir, () => answers.shift() ?? OK, { mono: () => mono });
  await s.pipeline.accept(makeRecord(1));
  await s.pipeline.idle();
  mono += 3_600_000;
  await s.drainer.runPass();
  mono += 3_600_000;
  await s.drainer.runPass();
  assert.equal(s.sink.attempts.length, 3);
  const q = readdirSync(path.join(tmp.dir, QUARANTINE_DIR));
  const side = q.find((n) => n.endsWith('.reason.json'));
  assert.ok(side);
  const note = JSON.parse(readFileSync(path.join(tmp.dir, QUARANTINE_DIR, side), 'utf8'));
  assert.equal(note.status, 400);
  assert.equal(note.reason, 'permanent');
  assert.equal(s.metrics.get('quarantined'), 1);
  // Not retried again.
  mono += 3_600_000;
  await s.drainer.runPass();
  assert.equal(s.sink.attempts.length, 3);
});

test('rate limit, strategy spool: over the limit stays in the spool until the window moves', async () => {
  using tmp = tempDir();
  let mono = 0;
  const limits = { ...NO_LIMITS, rate_limit_enabled: true, record_burst_limit: 3, record_window_length: 1 };
  await using s = await setup(tmp.dir, () => OK, { mono: () => mono, limits });
  for (let i = 0; i < 8; i++) {
    await s.pipeline.accept(makeRecord(i));
    await s.pipeline.idle();
  }
  assert.equal(s.sink.delivered.length, 3);
  assert.equal(readdirSync(tmp.dir).length, 5);
  assert.equal((await s.drainer.runPass()).stoppedBy, 'rate-limited');
  mono += 60_000;
  const r = await s.drainer.runPass();
  assert.equal(r.delivered, 3);
  mono += 60_000;
  await s.drainer.runPass();
  assert.equal(s.sink.delivered.length, 8);
  assert.equal(s.metrics.getDropped('rate_limited'), 0);
});

test('rate limit, strategy drop: refused records are deleted, logged and counted', async () => {
  using tmp = tempDir();
  const limits = { ...NO_LIMITS, rate_limit_enabled: true, byte_burst_limit: 1000, byte_window_length: 5 };
  await using s = await setup(tmp.dir, () => OK, { limits, strategy: 'drop' });
  const size = encodeSpoolFile(makeRecord(0)).length;
  const n = 5;
  const refusals: string[] = [];
  for (let i = 0; i < n; i++) {
    const refusal = await s.pipeline.accept(makeRecord(i));
    if (refusal) refusals.push(refusal.code);
    await s.pipeline.idle();
  }
  const fit = Math.floor(1000 / size);
  // Refused before being written, and the probe is told why (wire/ack.ts).
  assert.deepEqual(refusals, Array(n - fit).fill('TELEM_RATE_LIMITED'));
  assert.equal(s.sink.delivered.length, fit, 'real bytes counted (BUG-19)');
  assert.equal(s.metrics.getDropped('rate_limited'), n - fit);
  assert.deepEqual(readdirSync(tmp.dir), []);
  assert.ok(s.logger.lines.some((l) => l.includes('dropped by rate limit')));
});

test('spool full: the newest gets one direct attempt, then is dropped with a counter', async () => {
  using tmp = tempDir();
  let up = false;
  const size = encodeSpoolFile(makeRecord(0)).length;
  await using s = await setup(tmp.dir, () => (up ? OK : DOWN), { maxBytes: size * 2 });
  const refusals: string[] = [];
  for (let i = 0; i < 4; i++) {
    const refusal = await s.pipeline.accept(makeRecord(i));
    if (refusal) refusals.push(refusal.code);
  }
  await s.pipeline.idle();
  assert.deepEqual(refusals, ['TELEM_SPOOL_FULL', 'TELEM_SPOOL_FULL'], 'the probes are told');
  assert.equal(readdirSync(tmp.dir).length, 2);
  assert.equal(s.metrics.getDropped('spool_full'), 2);
  assert.ok(s.logger.lines.some((l) => l.includes('reason=spool_full')));
  assert.ok(s.store.bytes <= s.store.maxBytes);
  up = true;
});

test('record_expiry: old records are deleted unsent with a log line and a counter', async () => {
  using tmp = tempDir();
  let wall = Date.now();
  await using s = await setup(tmp.dir, () => DOWN, { expiry: 10, wall: () => wall, mono: () => wall });
  await s.pipeline.accept(makeRecord(1));
  await s.pipeline.idle();
  const [name] = readdirSync(tmp.dir);
  const old = new Date(wall - 11 * 60_000);
  utimesSync(path.join(tmp.dir, name!), old, old);
  wall += 3_600_000;
  await s.drainer.runPass();
  assert.deepEqual(readdirSync(tmp.dir), []);
  assert.equal(s.metrics.get('expired'), 1);
  assert.ok(s.logger.lines.some((l) => l.includes('expired')));
});

test('ENOSPC on a 64 KiB tmpfs: logged, counted, the daemon keeps going, spooled files intact', async (t) => {
  using tmp = tempDir();
  using fs64k = smallTmpfs(t, tmp.dir, '64k');
  if (!fs64k) return;
  const mnt = fs64k.dir;
  await using s = await setup(mnt, () => DOWN, {});
  let n = 0;
  for (; n < 40; n++) await s.pipeline.accept(makeRecord(n, 8000));
  await s.pipeline.idle();
  const files = readdirSync(mnt).filter((f) => !f.startsWith('.'));
  assert.ok(files.length > 0 && files.length < 40, `some records fit, not all (${files.length})`);
  assert.equal(s.metrics.getDropped('spool_io'), 40 - files.length);
  assert.ok(s.logger.lines.some((l) => l.includes('cannot write spool file') && l.includes('ENOSPC')));
  // Every file that made it is complete and parses; no temp files linger.
  for (const f of files) {
    const r = await s.store.read(f);
    assert.ok(r.ok, `file ${f} intact`);
  }
  assert.deepEqual(
    readdirSync(mnt).filter((f) => f.startsWith('.tmp-')),
    [],
  );
  assert.equal(s.store.files, files.length);
  // Still works once space is freed.
  for (const f of files.slice(0, 3)) await s.store.remove(f);
  const ids = new Set(
    await Promise.all(
      files.slice(3).map(async (f) => {
        const r = await s.store.read(f);
        return r.ok ? idOf(r.record) : -1;
      }),
    ),
  );
  assert.ok(!ids.has(-1));
  await s.pipeline.accept(makeRecord(1000, 100));
  assert.equal(readdirSync(mnt).filter((f) => !f.startsWith('.')).length, files.length - 2);
  // The write failure streak was logged once, and its end too.
  assert.equal(s.logger.lines.filter((l) => l.includes('cannot write spool file')).length, 1);
  assert.ok(s.logger.lines.some((l) => l.includes('spool writable again')));
});

test('status file: written atomically with counters, spool gauge and last error', async () => {
  using tmp = tempDir();
  await using s = await setup(tmp.dir, () => ({ kind: 'retryable', reason: 'HTTP 500', status: 500 }));
  const file = path.join(tmp.dir, 'state', 'telemd-status.json');
  const writer = createStatusWriter({
    file,
    logger: s.logger,
    render: () =>
      s.metrics.snapshot(process.pid, {
        bytes: s.store.bytes,
        files: s.store.files,
        maxBytes: s.store.maxBytes,
      }),
  });
  await s.pipeline.accept(makeRecord(1));
  await s.pipeline.idle();
  await writer.close();
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(doc.version, 1);
  assert.equal(doc.pid, process.pid);
  assert.equal(doc.counters.accepted, 1);
  assert.equal(doc.counters.spooled, 1);
  assert.equal(doc.spool.files, 1);
  assert.equal(doc.spool.maxBytes, -1);
  assert.equal(doc.lastDeliveryError.status, 500);
  assert.ok(!Number.isNaN(Date.parse(doc.updatedAt)));
});

test('per-pass limit: a pass stops after maxPerPass, the next continues in order without losing any', async () => {
  using tmp = tempDir();
  let up = false;
  let mono = 0;
  await using s = await setup(tmp.dir, () => (up ? OK : DOWN), { mono: () => mono, maxPerPass: 3 });
  for (let i = 0; i < 10; i++) await s.pipeline.accept(makeRecord(i));
  await s.pipeline.idle();
  up = true;
  mono += 3_600_000;
  const first = await s.drainer.runPass();
  assert.equal(first.stoppedBy, 'pass-limit');
  assert.equal(first.delivered, 3);
  while ((await s.drainer.runPass()).stoppedBy === 'pass-limit');
  assert.deepEqual(s.sink.delivered, [...Array(10).keys()]);
  assert.deepEqual(readdirSync(tmp.dir), []);
});

test('rate limit holds with parallel direct attempts (reserved before sending)', async () => {
  using tmp = tempDir();
  let open!: () => void;
  const gate = new Promise<void>((r) => {
    open = r;
  });
  const limits = { ...NO_LIMITS, rate_limit_enabled: true, record_burst_limit: 3, record_window_length: 5 };
  await using s = await setup(
    tmp.dir,
    async () => {
      await gate;
      return OK;
    },
    { limits },
  );
  for (let i = 0; i < 8; i++) await s.pipeline.accept(makeRecord(i));
  open();
  await s.pipeline.idle();
  assert.equal(s.sink.delivered.length, 3);
  assert.equal(readdirSync(tmp.dir).length, 5);
});
