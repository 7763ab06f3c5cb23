// Model-based property test: random sequences of accept / server up-down /
// drain pass / time advance / expire / crash-restart against the real store,
// limiter, drainer and pipeline on real files, checked after every step
// against a simple model (sets of record ids).
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createMemoryLogger } from '@telemetrics/libtelemetry/log';
import { decodeSpoolFile, encodeSpoolFile } from '@telemetrics/libtelemetry/wire';
import fc from 'fast-check';
import { DOWN, idOf, makeRecord, OK, scriptedSink, tempDir } from '../spool/spool.fixtures.ts';
import { createLimiter } from './limiter.ts';
import { CHANNELS, createMetrics } from '../observe/metrics.ts';
import { createDrainer, type Drainer } from './drain.ts';
import { createQuarantine } from './quarantine.ts';
import { createSpoolPipeline, type SpoolPipeline } from './accept.ts';
import { createSpoolStore, type SpoolStore } from '../spool/store.ts';

type Op =
  | { op: 'accept'; count: number }
  | { op: 'server'; up: boolean }
  | { op: 'pass' }
  | { op: 'advance'; ms: number }
  | { op: 'expire' }
  | { op: 'crash' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant('accept' as const), count: fc.integer({ min: 1, max: 4 }) }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('server' as const), up: fc.boolean() }) },
  { weight: 3, arbitrary: fc.constant({ op: 'pass' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('advance' as const),
      ms: fc.integer({ min: 1000, max: 3_600_000 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'expire' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'crash' as const }) },
);

const uid = process.getuid!();
const EXPIRY_MIN = 600;
const RECORD_BYTES = encodeSpoolFile(makeRecord(0)).length;
const MAX_BYTES = RECORD_BYTES * 12;

function diskState(dir: string): Map<number, { name: string; mtimeMs: number; bytes: number }> {
  const out = new Map<number, { name: string; mtimeMs: number; bytes: number }>();
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const file = path.join(dir, name);
    const decoded = decodeSpoolFile(readFileSync(file));
    assert.ok(decoded.ok, `spool file ${name} is complete`);
    const st = statSync(file);
    out.set(idOf(decoded.value as ReturnType<typeof makeRecord>), {
      name,
      mtimeMs: st.mtimeMs,
      bytes: st.size,
    });
  }
  return out;
}

const WRITERS = ['auto', 'inline', 'thread'] as const;

test('model: nothing lost, cap held, exact accounting, oldest first, no duplicates', async () => {
  const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
  console.log(`spool model seed=${seed}`);
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
      using tmp = tempDir();
      // Every way of writing (thread pool, writer thread, either by load) must keep the model.
      const writer = WRITERS[run++ % WRITERS.length];
      const dir = tmp.dir;
      let up = true;
      let mono = 0;
      let wall = Date.now();
      const sink = scriptedSink(() => (up ? OK : DOWN));
      const logger = createMemoryLogger();
      const accepted = new Set<number>();
      const backdated = new Set<number>();
      const dropped = new Set<number>();
      const onDrop = (msg: unknown) => {
        const id = (msg as { event_id?: string }).event_id;
        if (id !== undefined) dropped.add(Number.parseInt(id, 16));
      };
      diagnostics_channel.subscribe(CHANNELS.dropped, onDrop);
      let next = 0;
      let store!: SpoolStore;
      let drainer!: Drainer;
      let pipeline!: SpoolPipeline;
      const boot = async () => {
        const metrics = createMetrics();
        store = createSpoolStore({ dir, maxBytes: MAX_BYTES, uid, writer });
        await store.open();
        const quarantine = createQuarantine({ spoolDir: dir, logger });
        const limiter = createLimiter(
          {
            rate_limit_enabled: true,
            record_burst_limit: 6,
            record_window_length: 2,
            byte_burst_limit: -1,
            byte_window_length: 20,
          },
          () => mono,
        );
        const common = { store, sink, limiter, metrics, logger, quarantine, strategy: 'spool' as const };
        drainer = createDrainer({
          ...common,
          deliveryEnabled: true,
          recordExpiryMinutes: EXPIRY_MIN,
          processTimeMs: 120_000,
          random: () => 0.5,
          monotonicNow: () => mono,
          wallNow: () => wall,
        });
        pipeline = createSpoolPipeline({ ...common, drainer, deliveryEnabled: true });
      };
      try {
        await boot();
        for (const step of ops) {
          const before = diskState(dir);
          const deliveredBefore = sink.delivered.length;
          switch (step.op) {
            case 'accept':
              for (let i = 0; i < step.count; i++) {
                const id = next++;
                accepted.add(id);
                await pipeline.accept(makeRecord(id));
              }
              await pipeline.idle();
              break;
            case 'server':
              up = step.up;
              break;
            case 'pass': {
              await drainer.runPass();
              // Oldest first: the records this pass delivered have non-decreasing mtimes.
              const got = sink.delivered.slice(deliveredBefore).map((id) => before.get(id)?.mtimeMs ?? -1);
              for (let i = 1; i < got.length; i++) assert.ok(got[i]! >= got[i - 1]!, 'oldest first');
              break;
            }
            case 'advance':
              mono += step.ms;
              wall += step.ms;
              break;
            case 'expire': {
              const oldest = [...before.entries()].sort((a, b) => a[1].mtimeMs - b[1].mtimeMs)[0];
              if (oldest) {
                const t = new Date(wall - (EXPIRY_MIN + 1) * 60_000);
                utimesSync(path.join(dir, oldest[1].name), t, t);
                backdated.add(oldest[0]);
              }
              break;
            }
            case 'crash':
              // Everything in memory is lost; no close(). Only the directory survives.
              await pipeline.idle();
              await boot();
              break;
          }
          const disk = diskState(dir);
          const delivered = new Set(sink.delivered);
          assert.equal(delivered.size, sink.delivered.length, 'no duplicate deliveries');
          for (const id of accepted) {
            assert.ok(
              delivered.has(id) || disk.has(id) || backdated.has(id) || dropped.has(id),
              `record ${id} lost after ${step.op}`,
            );
          }
          for (const id of disk.keys()) assert.ok(!delivered.has(id), `delivered record ${id} still spooled`);
          const diskBytes = [...disk.values()].reduce((a, e) => a + e.bytes, 0);
          assert.ok(diskBytes <= MAX_BYTES, 'cap held');
          assert.equal(store.bytes, diskBytes, 'exact accounting');
          // Only records refused because the spool was full while the server was down are dropped.
          for (const id of dropped) assert.ok(!delivered.has(id));
        }
      } finally {
        diagnostics_channel.unsubscribe(CHANNELS.dropped, onDrop);
        await pipeline.close();
        await drainer.close();
        await store.close();
      }
    }),
    { seed, numRuns: 40 },
  );
});
