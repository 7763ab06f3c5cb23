// Unit test of the direct pipeline's policy. The Sink here is a stub: this
// test is about what the pipeline does with each outcome; the real HTTP sink
// is exercised end to end in test/e2e/telemd-delivery.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryLogger } from '@telemetrics/libtelemetry/log';
import { decodeFrame } from '@telemetrics/libtelemetry/wire';
import { readVector } from '../../../test/helpers/vectors.ts';
import type { DeliveryOutcome, Sink } from './deliver/sink.ts';
import { createCounters } from './metrics.ts';
import { createDirectPipeline } from './pipeline.ts';
import type { TelemRecord } from './record.ts';

function record(): TelemRecord {
  const d = decodeFrame(readVector('socket/v2.4.3-special.bin'));
  assert.ok(d.ok);
  return { headers: d.value.headers, payload: Buffer.from(d.value.payload) };
}

function stubSink(answer: () => Promise<DeliveryOutcome>): Sink & { calls: number } {
  const sink = {
    calls: 0,
    deliver: () => {
      sink.calls++;
      return answer();
    },
    close: async () => {},
  };
  return sink;
}

test('delivered: counted, no err line', async () => {
  const logger = createMemoryLogger();
  const counters = createCounters();
  const p = createDirectPipeline({
    sink: stubSink(async () => ({ kind: 'delivered', status: 201 })),
    logger,
    deliveryEnabled: true,
    counters,
  });
  await p.accept(record());
  assert.equal(counters.delivered, 1);
  assert.equal(logger.lines.filter((l) => l.startsWith('<3>')).length, 0);
});

test('each failure kind is logged at err with classification, event id and reason', async () => {
  const outcomes: DeliveryOutcome[] = [
    { kind: 'retryable', reason: 'HTTP 503', status: 503, retryAfterMs: 2000 },
    { kind: 'permanent', reason: 'HTTP 400', status: 400 },
  ];
  for (const outcome of outcomes) {
    const logger = createMemoryLogger();
    const counters = createCounters();
    const p = createDirectPipeline({
      sink: stubSink(async () => outcome),
      logger,
      deliveryEnabled: true,
      counters,
    });
    await p.accept(record());
    assert.equal(counters.failed, 1);
    const line = logger.lines.find((l) => l.startsWith('<3>record not delivered'));
    assert.ok(line);
    assert.match(line, /classification=org.example\/vectors\/special-chars/);
    assert.match(line, /event_id=0123456789abcdeffedcba9876543210/);
    assert.match(line, new RegExp(`outcome=${outcome.kind}`));
    assert.match(line, new RegExp(`status=${outcome.status}`));
  }
});

test('a sink that throws is treated as retryable and logged, not lost silently', async () => {
  const logger = createMemoryLogger();
  const p = createDirectPipeline({
    sink: stubSink(async () => {
      throw new Error('boom');
    }),
    logger,
    deliveryEnabled: true,
  });
  await p.accept(record());
  assert.ok(logger.lines.some((l) => l.startsWith('<3>') && l.includes('sink threw: boom')));
});

test('delivery disabled: the sink is never called', async () => {
  const sink = stubSink(async () => ({ kind: 'delivered', status: 201 }));
  const counters = createCounters();
  const p = createDirectPipeline({ sink, logger: createMemoryLogger(), deliveryEnabled: false, counters });
  await p.accept(record());
  assert.equal(sink.calls, 0);
  assert.equal(counters.kept, 1);
});

test('close() waits for deliveries in flight; later records are logged as dropped', async () => {
  let release: (o: DeliveryOutcome) => void = () => {};
  const sink = stubSink(() => new Promise((resolve) => (release = resolve)));
  const logger = createMemoryLogger();
  const counters = createCounters();
  const p = createDirectPipeline({ sink, logger, deliveryEnabled: true, counters });
  const accepted = p.accept(record());
  let closed = false;
  const closing = p.close().then(() => (closed = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(closed, false);
  release({ kind: 'delivered', status: 200 });
  await accepted;
  await closing;
  assert.equal(counters.delivered, 1);
  await p.accept(record());
  assert.ok(logger.lines.some((l) => l.includes('after the pipeline closed')));
});
