import assert from 'node:assert/strict';
// The fan-out against scripted targets (test doubles on purpose: the decisions are under test; the real HTTP targets are in test/e2e/otlp-export.test.ts).
import { test } from 'node:test';
import { createMemoryLogger } from '@telemetrics/libtelemetry/log';
import { DOWN, makeRecord, OK, scriptedSink } from '../../spool/spool.fixtures.ts';
import { DEFAULT_BACKOFF } from '../backoff.ts';
import type { DeliveryOutcome } from '../sink.ts';
import { createFanoutSink } from './fanout.ts';

function setup(otlpAnswer: () => DeliveryOutcome, selects = () => true) {
  let t = 1_000_000;
  const primary = scriptedSink(() => OK);
  const otlp = scriptedSink(otlpAnswer);
  const sink = createFanoutSink({
    primary,
    targets: [{ name: 'otlp', sink: otlp, selects }],
    logger: createMemoryLogger(),
    policy: { ...DEFAULT_BACKOFF, baseMs: 1000, minMs: 1000 },
    random: () => 0.5,
    now: () => t,
  });
  return { sink, primary, otlp, advance: (ms: number) => (t += ms) };
}

test('delivered only once every target has it; a retry goes only to the target that lacks it', async () => {
  let otlpUp = false;
  const { sink, primary, otlp, advance } = setup(() => (otlpUp ? OK : DOWN));
  const record = makeRecord(1);
  assert.equal((await sink.deliver(record)).kind, 'retryable');
  assert.equal(primary.attempts.length, 1);
  otlpUp = true;
  // The OTLP target backs off on its own: tried again only after its delay.
  const early = await sink.deliver(record);
  assert.equal(early.kind, 'retryable');
  assert.ok(early.kind === 'retryable' && early.retryAfterMs! > 0);
  assert.equal(otlp.attempts.length, 1);
  advance(60_000);
  assert.equal((await sink.deliver(record)).kind, 'delivered');
  assert.equal(primary.attempts.length, 1, 'the collector is not sent the record twice');
  assert.equal(otlp.attempts.length, 2);
});

test('a target that does not select a record is not asked', async () => {
  const { sink, otlp } = setup(
    () => DOWN,
    () => false,
  );
  assert.equal((await sink.deliver(makeRecord(2))).kind, 'delivered');
  assert.equal(otlp.attempts.length, 0);
});

test('an exporter refusing a record does not hold it from the collector', async () => {
  const { sink } = setup(() => ({ kind: 'permanent', reason: 'HTTP 400', status: 400 }));
  assert.equal((await sink.deliver(makeRecord(3))).kind, 'delivered');
});

test('the primary refusing a record is its fate', async () => {
  const primary = scriptedSink(() => ({ kind: 'permanent', reason: 'HTTP 400', status: 400 }));
  const sink = createFanoutSink({
    primary,
    targets: [{ name: 'otlp', sink: scriptedSink(() => OK), selects: () => true }],
    logger: createMemoryLogger(),
    policy: DEFAULT_BACKOFF,
  });
  assert.equal((await sink.deliver(makeRecord(4))).kind, 'permanent');
});

test('a target with its own queue takes what it cannot deliver now into it: the record is done here', async () => {
  const deferred: number[] = [];
  const sink = createFanoutSink({
    primary: scriptedSink(() => OK),
    targets: [
      {
        name: 'otlp',
        sink: scriptedSink(() => DOWN),
        selects: () => true,
        defer: async (record) => {
          deferred.push(Number(record.headers.event_id.slice(-8)));
        },
      },
    ],
    logger: createMemoryLogger(),
    policy: DEFAULT_BACKOFF,
  });
  assert.equal((await sink.deliver(makeRecord(5))).kind, 'delivered');
  assert.equal(deferred.length, 1);
});

test('a queue that cannot keep the record leaves it retryable in the main spool', async () => {
  const sink = createFanoutSink({
    primary: scriptedSink(() => OK),
    targets: [
      {
        name: 'otlp',
        sink: scriptedSink(() => DOWN),
        selects: () => true,
        defer: async () => {
          throw new Error('ENOSPC');
        },
      },
    ],
    logger: createMemoryLogger(),
    policy: DEFAULT_BACKOFF,
  });
  const outcome = await sink.deliver(makeRecord(6));
  assert.equal(outcome.kind, 'retryable');
  assert.match(outcome.kind === 'retryable' ? outcome.reason : '', /ENOSPC/);
});
