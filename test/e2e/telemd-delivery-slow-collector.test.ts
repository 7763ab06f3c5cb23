// Issue 15, point 1: a collector that answers every POST late. Four probes (SDK sendRecord,
// concurrently) send 20 records to the real telemd binary; telemd holds more requests than it
// has pool connections, so most wait for a connection before they are written. A deadline
// that counted that wait gave up on requests the collector was about to store (duplicates),
// and the failures it counted parked the rest of the spool for minutes with the collector
// healthy. Scaled from the report (5 s answers, delivery_timeout_ms=10000) to 1.5 s / 3 s:
// the same ratio, so the same queueing, in a third of the time.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { waitUntil } from '../helpers/poll.ts';
import { DEFAULT_CONFIG, newRecord, sendRecord } from '@telemetrics/libtelemetry';
import { startCollector } from '../helpers/collector.ts';
import { spawnTelemd } from '../helpers/telemd.ts';

const ANSWER_DELAY_MS = 1500;
const PROBES = 4;
const RECORDS_PER_PROBE = 5;

test('a collector that answers every POST late: all delivered once, no stall', async () => {
  await using collector = await startCollector();
  collector.respondWith({ delayMs: ANSWER_DELAY_MS });
  await using p = await spawnTelemd({
    server: collector.v2Url,
    delivery_timeout_ms: 2 * ANSWER_DELAY_MS,
    delivery_retry_base_ms: 1000,
  });
  const config = fs.readFileSync(p.configFile, 'utf8');
  const optIn = /^opt_in_file=(.*)$/m.exec(config)![1]!;
  fs.writeFileSync(optIn, '');
  const sent: string[] = [];
  const probe = async (n: number): Promise<void> => {
    for (let i = 0; i < RECORDS_PER_PROBE; i++) {
      const record = await newRecord(
        { classification: `org.test/slow/probe${n}`, severity: 2, payload: `probe ${n} record ${i}\n` },
        DEFAULT_CONFIG,
      );
      await sendRecord(record, { socketPath: p.socketPath, optInFile: optIn });
      sent.push(record.headers.event_id);
    }
  };
  await Promise.all(Array.from({ length: PROBES }, (_, n) => probe(n)));
  assert.equal(new Set(sent).size, PROBES * RECORDS_PER_PROBE);

  // Well inside spool_process_time (120 s, its minimum): a record that waits for that pass stalled.
  await collector.waitForRecords(sent.length, { timeoutMs: 45_000 });
  const spool = path.join(p.dir, 'spool');
  await waitUntil(
    () => !fs.readdirSync(spool).some((n) => !n.startsWith('.')),
    () => `an empty spool: ${fs.readdirSync(spool)}\n${p.log()}\n${collector.records.length} stored`,
    10_000,
    50,
  );
  const posts = new Map<string, number>();
  for (const r of collector.records) posts.set(r.event_id, (posts.get(r.event_id) ?? 0) + 1);
  const duplicates = [...posts].filter(([, n]) => n > 1);
  assert.deepEqual(duplicates, [], 'no record stored twice');
  assert.deepEqual([...posts.keys()].sort(), [...sent].sort());
  assert.doesNotMatch(p.log(), /timeout/i, 'no request timed out: the collector answered each in time');
});
