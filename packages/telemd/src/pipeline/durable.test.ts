import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_CONFIG, type TelemetryConfig } from '@telemetrics/libtelemetry/config';
import { createMemoryLogger } from '@telemetrics/libtelemetry/log';
import { makeRecord, OK, scriptedSink, tempDir } from '../spool/spool.fixtures.ts';
import { createDurablePipeline } from './durable.ts';

function config(dir: string, extra: Partial<TelemetryConfig> = {}): TelemetryConfig {
  return {
    ...DEFAULT_CONFIG,
    spool_dir: path.join(dir, 'spool'),
    status_file: path.join(dir, 'status.json'),
    ...extra,
  };
}

test('config mapping: spool_max_size KiB -> bytes, spool created, status written at close', async () => {
  using tmp = tempDir();
  const sink = scriptedSink(() => OK);
  const p = createDurablePipeline({
    config: config(tmp.dir, { spool_max_size: 2 }),
    sink,
    logger: createMemoryLogger(),
  });
  await p.ready;
  assert.equal(p.store.maxBytes, 2048);
  await p.accept(makeRecord(1));
  await p.idle();
  assert.deepEqual(sink.delivered, [1]);
  assert.ok(p.isIdle());
  await p.close();
  await p.close(); // idempotent
  const status = JSON.parse(readFileSync(path.join(tmp.dir, 'status.json'), 'utf8'));
  assert.equal(status.counters.delivered, 1);
  assert.equal(status.spool.maxBytes, 2048);
  assert.deepEqual(readdirSync(path.join(tmp.dir, 'spool')), []);
});

test('delivery disabled: nothing spooled, counted as dropped{delivery_disabled}', async () => {
  using tmp = tempDir();
  const sink = scriptedSink(() => OK);
  const p = createDurablePipeline({
    config: config(tmp.dir, { record_server_delivery_enabled: false }),
    sink,
    logger: createMemoryLogger(),
  });
  await p.accept(makeRecord(1));
  await p.close();
  assert.equal(sink.attempts.length, 0);
  assert.equal(p.metrics.getDropped('delivery_disabled'), 1);
});

test('an invalid window of an enabled limit is a start-up error (BUG-21)', () => {
  using tmp = tempDir();
  assert.throws(
    () =>
      createDurablePipeline({
        config: config(tmp.dir, { record_window_length: 60 }),
        sink: scriptedSink(() => OK),
        logger: createMemoryLogger(),
      }),
    (e: { code?: string }) => e.code === 'TELEM_CONFIG_VALUE',
  );
});
