// The drain loop against a real spool directory: concurrency and its limits, the pass limit
// with a real HTTP collector on 127.0.0.1, and what an expired record leaves in the journal.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { waitUntil } from '../../../../test/helpers/poll.ts';
import { droppedJournalPath, readJournal } from '@telemetrics/libtelemetry/internal/journal';
import { createMemoryLogger } from '@telemetrics/libtelemetry/log';
import { DOWN, idOf, makeRecord, OK, scriptedSink, tempDir } from '../spool/spool.fixtures.ts';
import { createHttpSink } from '../deliver/http.ts';
import { DELIVERY_IN_FLIGHT, type DeliveryOutcome, type Sink } from '../deliver/sink.ts';
import { createJournalHook } from './journal-hook.ts';
import { createLimiter } from './limiter.ts';
import { createMetrics } from '../observe/metrics.ts';
import { createDrainer, type DrainerOptions, nextWakeUp } from './drain.ts';
import { createQuarantine } from './quarantine.ts';
import { createSpoolStore } from '../spool/store.ts';

const uid = process.getuid!();
const NO_LIMITS = {
  rate_limit_enabled: false,
  record_burst_limit: -1,
  record_window_length: 15,
  byte_burst_limit: -1,
  byte_window_length: 20,
};

async function spoolOf(dir: string, count: number) {
  const store = createSpoolStore({ dir, maxBytes: -1, uid });
  await store.open();
  // Distinct mtimes are not needed: the store orders its own writes by sequence.
  for (let i = 0; i < count; i++) assert.ok((await store.put(makeRecord(i))).ok);
  return store;
}

function drainerOn(
  store: ReturnType<typeof createSpoolStore>,
  sink: Sink,
  extra: Partial<DrainerOptions> = {},
) {
  const logger = createMemoryLogger();
  const metrics = createMetrics();
  const drainer = createDrainer({
    store,
    quarantine: createQuarantine({ spoolDir: store.dir, logger }),
    sink,
    limiter: createLimiter(NO_LIMITS, () => 0),
    metrics,
    logger,
    strategy: 'spool',
    deliveryEnabled: true,
    recordExpiryMinutes: -1,
    processTimeMs: 3_600_000,
    random: () => 0.5,
    ...extra,
  });
  return { drainer, logger, metrics };
}

/** A sink whose answers wait until the test releases them, one by one or all at once. */
function gatedSink(answer: (id: number) => DeliveryOutcome) {
  const waiting: Array<() => void> = [];
  let running = 0;
  let peak = 0;
  let arrived: (() => void) | undefined;
  const sink = scriptedSink(async (record) => {
    running++;
    peak = Math.max(peak, running);
    arrived?.();
    await new Promise<void>((resolve) => waiting.push(resolve));
    running--;
    return answer(idOf(record));
  });
  return {
    sink,
    get running() {
      return running;
    },
    get peak() {
      return peak;
    },
    /** Resolves once `n` attempts are waiting for an answer. */
    async untilWaiting(n: number): Promise<void> {
      while (waiting.length < n) await new Promise<void>((resolve) => (arrived = resolve));
    },
    releaseAll(): void {
      for (const release of waiting.splice(0)) release();
    },
    releaseFirst(): void {
      waiting.shift()?.();
    },
  };
}

test(`a pass keeps ${DELIVERY_IN_FLIGHT} deliveries in flight, started oldest first`, async () => {
  using tmp = tempDir();
  const store = await spoolOf(tmp.dir, 3 * DELIVERY_IN_FLIGHT);
  const gate = gatedSink(() => OK);
  const { drainer, metrics } = drainerOn(store, gate.sink);
  const pass = drainer.runPass();
  await gate.untilWaiting(DELIVERY_IN_FLIGHT);
  assert.equal(gate.running, DELIVERY_IN_FLIGHT);
  // Each answer lets exactly one more start, never more than the window.
  for (let i = 0; i < 5; i++) {
    gate.releaseFirst();
    await gate.untilWaiting(DELIVERY_IN_FLIGHT);
  }
  while (gate.sink.delivered.length < 3 * DELIVERY_IN_FLIGHT) {
    gate.releaseAll();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const result = await pass;
  assert.equal(result.stoppedBy, 'done');
  assert.equal(result.delivered, 3 * DELIVERY_IN_FLIGHT);
  assert.equal(gate.peak, DELIVERY_IN_FLIGHT);
  assert.deepEqual(gate.sink.attempts, [...Array(3 * DELIVERY_IN_FLIGHT).keys()], 'started oldest first');
  assert.deepEqual(readdirSync(tmp.dir), []);
  assert.equal(metrics.get('delivered'), 3 * DELIVERY_IN_FLIGHT);
  assert.equal(store.bytes, 0);
  await drainer.close();
  await store.close();
});

test('a retryable failure mid-pass: nothing new starts, those in flight finish, one backoff', async () => {
  using tmp = tempDir();
  let mono = 0;
  const total = 3 * DELIVERY_IN_FLIGHT;
  const store = await spoolOf(tmp.dir, total);
  // Record 2 fails, 5 fails as well (both in the first window); every other one is accepted.
  let collectorUp = true;
  const gate = gatedSink((id) => (collectorUp && id !== 2 && id !== 5 ? OK : DOWN));
  const { drainer, logger } = drainerOn(store, gate.sink, { monotonicNow: () => mono });
  const pass = drainer.runPass();
  await gate.untilWaiting(DELIVERY_IN_FLIGHT);
  gate.releaseFirst(); // 0: delivered, 8 starts
  gate.releaseFirst(); // 1: delivered, 9 starts
  await gate.untilWaiting(DELIVERY_IN_FLIGHT);
  gate.releaseFirst(); // 2: fails
  gate.releaseAll(); // 3..9 answer: 5 fails too, the rest are delivered
  const result = await pass;
  assert.equal(result.stoppedBy, 'retryable');
  assert.deepEqual(
    gate.sink.attempts,
    [...Array(DELIVERY_IN_FLIGHT + 2).keys()],
    'none started after the failure',
  );
  assert.deepEqual(
    [...gate.sink.delivered].sort((a, b) => a - b),
    [0, 1, 3, 4, 6, 7, 8, 9],
    'those in flight finished',
  );
  assert.equal(drainer.failures, 1, 'one backoff for the pass, not one per failed request');
  assert.ok(drainer.backingOff, 'a success answered after the failure does not end the backoff');
  assert.equal(logger.lines.filter((l) => l.includes('delivery failed')).length, 1);
  assert.equal(readdirSync(tmp.dir).length, total - 8);

  // Backoff over, collector down: the pass probes with ONE request, not a window.
  collectorUp = false;
  mono += 3_600_000;
  const probe = drainer.runPass();
  await gate.untilWaiting(1);
  gate.releaseAll();
  assert.equal((await probe).stoppedBy, 'retryable');
  assert.equal(gate.peak, DELIVERY_IN_FLIGHT);
  assert.equal(gate.sink.attempts.length, DELIVERY_IN_FLIGHT + 3, 'one probe after the backoff');
  assert.equal(gate.sink.attempts.at(-1), 2, 'the oldest record left is retried first');
  assert.equal(drainer.failures, 2);
  await drainer.close();
  await store.close();
});

test('pass limit: records spooled while a cut pass runs go out at once, not after spool_process_time', async (t) => {
  // Real HTTP: a collector on 127.0.0.1 answering 201, the real undici sink.
  using tmp = tempDir();
  const store = await spoolOf(tmp.dir, 6);
  const received: number[] = [];
  let onFirstRequest: (() => Promise<void>) | undefined;
  const server = http.createServer((req, res) => {
    req.resume();
    req.once('end', async () => {
      const hook = onFirstRequest;
      onFirstRequest = undefined;
      await hook?.();
      received.push(Number.parseInt(String(req.headers.event_id), 16));
      res.writeHead(201, { 'content-length': '0' }).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.close();
    server.closeAllConnections();
  });
  const { port } = server.address() as AddressInfo;
  const logger = createMemoryLogger();
  const sink = createHttpSink({
    target: { server: `http://127.0.0.1:${port}/v2/collector`, tidheader: '', cainfo: '' },
    serverApi: 'v2',
    logger,
  });
  t.after(() => sink.close());
  // spool_process_time is an hour: only the kick can bring record 6 out within the test.
  const { drainer } = drainerOn(store, sink, { maxPerPass: 3, processTimeMs: 3_600_000 });
  t.after(() => drainer.close());
  // While the first (cut) pass sends, a record is spooled and the drainer kicked, as the
  // pipeline does when it cannot try a record directly. It is not in the carried listing.
  onFirstRequest = async () => {
    const put = await store.put(makeRecord(6));
    assert.ok(put.ok);
    drainer.kick();
  };
  drainer.start();
  // Polled with a deadline: the last unlink follows the collector's answer.
  await waitUntil(
    () => received.length >= 7 && readdirSync(tmp.dir).length === 0,
    () => `seven delivered and an empty spool (received ${received})`,
    20_000,
    10,
  );
  assert.deepEqual(
    [...received].sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5, 6],
    'the record spooled during the cut pass was delivered by a fresh pass',
  );
  assert.deepEqual(readdirSync(tmp.dir), []);
  await store.close();
});

test('record_expiry: an expired record is journaled as dropped (expired); an unreadable one is just deleted', async () => {
  using tmp = tempDir();
  const spoolDir = path.join(tmp.dir, 'spool');
  const store = await spoolOf(spoolDir, 2);
  const wall = Date.now();
  const old = new Date(wall - 11 * 60_000);
  writeFileSync(path.join(spoolDir, 'Garbag'), 'not a spool file\n', { mode: 0o600 });
  for (const name of readdirSync(spoolDir)) utimesSync(path.join(spoolDir, name), old, old);
  const journalFile = path.join(tmp.dir, 'log', 'journal');
  const bootIdFile = path.join(tmp.dir, 'boot_id');
  writeFileSync(bootIdFile, '711d33a8-4861-4099-9edb-08bae7a117b6\n');
  const journal = createJournalHook({
    journalFile,
    retentionEnabled: false,
    retentionDir: path.join(tmp.dir, 'log', 'records'),
    logger: createMemoryLogger(),
    bootIdFile,
  });
  const sink = scriptedSink(() => OK);
  const { drainer, metrics, logger } = drainerOn(store, sink, {
    recordExpiryMinutes: 10,
    wallNow: () => wall,
    journal,
  });
  const result = await drainer.runPass();
  await journal.close();
  assert.equal(result.delivered, 0);
  assert.deepEqual(sink.attempts, [], 'expired records are not sent');
  assert.deepEqual(readdirSync(spoolDir), [], 'all three deleted, the unparsable one too (not quarantined)');
  assert.equal(metrics.get('expired'), 3);
  const dropped = await readJournal(droppedJournalPath(journalFile));
  assert.deepEqual(
    dropped.entries.map((e) => [Number.parseInt(e.eventId, 16), e.classification, e.note]).sort(),
    [
      [0, 'org.example/spool/test', 'expired'],
      [1, 'org.example/spool/test', 'expired'],
    ],
  );
  const main = await readJournal(journalFile);
  assert.deepEqual(main.entries, [], 'never in the journal of sent records');
  assert.equal(logger.lines.filter((l) => l.includes('expired, deleted unsent')).length, 3);
  assert.ok(logger.lines.some((l) => l.includes('name=Garbag') && l.includes('unreadable=')));
  await drainer.close();
  await store.close();
});

test('a failure reported during a pass that ends "done" is retried after its backoff, not spool_process_time', async () => {
  using tmp = tempDir();
  const store = await spoolOf(tmp.dir, 0);
  // Record 99 is the pipeline's: leased for its direct attempt, so the pass skips it.
  const direct = await store.put(makeRecord(99), { lease: true });
  assert.ok(direct.ok);
  for (const n of [0, 1]) assert.ok((await store.put(makeRecord(n))).ok);
  let drainer: ReturnType<typeof drainerOn>['drainer'] | undefined;
  const sink = scriptedSink(async (record) => {
    if (idOf(record) === 1) {
      // Meanwhile the direct attempt fails: 99 stays spooled, and a retry is asked for in 50 ms.
      drainer!.reportFailure({ kind: 'retryable', reason: 'ECONNREFUSED' });
      store.release(direct.entry.name);
    }
    return OK;
  });
  ({ drainer } = drainerOn(store, sink, {
    processTimeMs: 3_600_000,
    backoff: { baseMs: 50, capMs: 50, minMs: 50, retryAfterCapMs: 50 },
  }));
  drainer.start();
  try {
    // The pass delivers 0 and 1 and ends "done"; that must not push the retry to the 1 h pass.
    await waitUntil(
      () => sink.delivered.includes(99),
      () => `99 retried; delivered ${sink.delivered}`,
      10_000,
      5,
    );
    assert.deepEqual(sink.delivered, [0, 1, 99]);
  } finally {
    await drainer.close();
  }
});

test('failures of attempts in flight together share one backoff step', async () => {
  using tmp = tempDir();
  const store = await spoolOf(tmp.dir, 0);
  const { drainer, logger } = drainerOn(
    store,
    scriptedSink(() => OK),
    {
      backoff: { baseMs: 1000, capMs: 3_600_000, minMs: 1000, retryAfterCapMs: 1000 },
      random: () => 0.999,
    },
  );
  try {
    for (let i = 0; i < 8; i++) drainer.reportFailure({ kind: 'retryable', reason: 'timeout' });
    assert.equal(drainer.failures, 1, 'eight timeouts at once are one failure of the server');
    assert.equal(logger.lines.filter((l) => l.includes('delivery failed')).length, 1);
  } finally {
    await drainer.close();
  }
});

test('nextWakeUp: a cut pass goes on at once, a finished one waits spool_process_time unless asked again', () => {
  const times = { processTimeMs: 120_000, backoffLeftMs: () => 5_000 };
  assert.equal(nextWakeUp('pass-limit', false, times), 0);
  assert.equal(nextWakeUp('done', true, times), 0);
  assert.equal(nextWakeUp('done', false, times), 120_000);
  assert.equal(nextWakeUp('backoff', true, times), 5_000);
  assert.equal(nextWakeUp('retryable', true, times), undefined);
  assert.equal(nextWakeUp('rate-limited', false, times), undefined);
});
