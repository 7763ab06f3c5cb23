// The OTLP outbox (<spool_dir>/.otlp/) under a receiver that stays down: it is
// bounded (files, bytes, record_expiry), what it evicts is logged and journaled
// in the `.dropped` side file, and telemd's idle exit waits while it holds
// records (docs/otlp.md). Real telemd, real collector stand-in, real OTLP
// receiver on 127.0.0.1.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { createRecord } from '@telemetrics/libtelemetry';
import { droppedJournalPath, readJournal } from '@telemetrics/libtelemetry/internal/journal';
import { encodeFrame, encodeSpoolFile } from '@telemetrics/libtelemetry/wire';
import { startCollector } from '../helpers/collector.ts';
import { startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { otlpOutboxLeft } from '../helpers/spool.ts';
import { sendFrame, spawnTelemd, waitUntil } from '../helpers/telemd.ts';

const facts = {
  arch: 'x86_64',
  host_type: 'a|b|c',
  build: '41',
  kernel_version: '6.18.44',
  system_name: 'clear-linux-os',
  board_name: 'b|b',
  cpu_model: 'Test CPU',
  bios_version: 'bios',
};
let seq = 1;
type TelemRecord = ReturnType<typeof createRecord>;

function heartbeat(n: number): { record: TelemRecord; frame: Uint8Array } {
  const record = createRecord({
    severity: 1,
    classification: 'org.clearlinux/hello/world',
    payload: `beat ${n}`,
    facts,
    now: Date.now(),
    random: (k) => Buffer.alloc(k, seq++),
  });
  return { record, frame: encodeFrame(record) };
}

const fastRetries = { delivery_retry_base_ms: 100, delivery_retry_max_ms: 400 };
const outboxFiles = (dir: string) => otlpOutboxLeft(path.join(dir, 'spool'));

async function droppedEntries(journalFile: string, n: number, timeoutMs = 10_000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const { entries } = await readJournal(droppedJournalPath(journalFile));
    if (entries.length >= n) return entries;
    if (performance.now() > deadline) throw new Error(`.dropped has ${entries.length}/${n} entries`);
    await delay(10);
  }
}

test('idle exit waits while the OTLP outbox holds records the receiver is retried for, then happens', async () => {
  await using collector = await startCollector();
  await using receiver = await startOtlpReceiver();
  receiver.failWith(503);
  await using telemd = await spawnTelemd({
    server: collector.v2Url,
    otlp_endpoint: receiver.url,
    daemon_recycling_enabled: true,
    idle_exit_seconds: 1,
    ...fastRetries,
  });
  const sent = heartbeat(1);
  await sendFrame(telemd.socketPath, sent.frame);
  await collector.waitForRecords(1);
  await waitUntil(() => outboxFiles(telemd.dir).length === 1, 'one record in the OTLP outbox');
  // Three idle periods with the record waiting: telemd must still be there, retrying.
  const early = await Promise.race([telemd.exited.then(() => true), delay(3_500).then(() => false)]);
  assert.equal(early, false, `telemd exited with a record in .otlp/:\n${telemd.log()}`);
  receiver.failWith(null);
  const [log] = await receiver.waitForLogs(1, 30_000);
  assert.equal(log!.traceId, sent.record.headers.event_id);
  // The outbox is empty now: the idle exit goes ahead.
  const code = await Promise.race([telemd.exited, delay(30_000).then(() => 'still running')]);
  assert.equal(code, 0, telemd.log());
  assert.match(telemd.log(), /idle; exiting/);
  assert.deepEqual(outboxFiles(telemd.dir), []);
});

test('the OTLP outbox keeps at most otlp_spool_max_files: the oldest are evicted, logged and journaled', async () => {
  await using collector = await startCollector();
  await using receiver = await startOtlpReceiver();
  await receiver.down();
  await using telemd = await spawnTelemd({
    server: collector.v2Url,
    otlp_endpoint: receiver.url,
    otlp_spool_max_files: 3,
    ...fastRetries,
  });
  const sent = Array.from({ length: 5 }, (_, i) => heartbeat(i));
  for (const s of sent) {
    await sendFrame(telemd.socketPath, s.frame);
    // One at a time, so "oldest" is the order they were sent in.
    await collector.waitForRecords(sent.indexOf(s) + 1);
    await waitUntil(
      () => outboxFiles(telemd.dir).some((n) => n.endsWith(s.record.headers.event_id)),
      'the record in the outbox',
    );
  }
  const dropped = await droppedEntries(path.join(telemd.dir, 'journal'), 2);
  assert.deepEqual(
    dropped.map((e) => [e.eventId, e.note]),
    sent.slice(0, 2).map((s) => [s.record.headers.event_id, 'otlp_evicted']),
  );
  assert.equal((telemd.log().match(/OTLP outbox full, evicted its oldest record/g) ?? []).length, 2);
  await receiver.up();
  await receiver.waitForLogs(3, 30_000);
  await waitUntil(() => outboxFiles(telemd.dir).length === 0, 'an empty OTLP outbox', 30_000);
  assert.deepEqual(
    receiver.logs.map((l) => l.traceId).sort(),
    sent
      .slice(2)
      .map((s) => s.record.headers.event_id)
      .sort(),
  );
  assert.equal(collector.records.length, 5, 'the collector got every record');
});

test('records older than record_expiry in the OTLP outbox are deleted unsent, logged and journaled', async () => {
  await using collector = await startCollector();
  await using receiver = await startOtlpReceiver();
  await receiver.down();
  const overrides = {
    server: collector.v2Url,
    otlp_endpoint: receiver.url,
    record_expiry: 60,
    ...fastRetries,
  };
  // A telemd that stopped 2 hours ago left one record in .otlp/, and one kept a minute ago.
  const seed = await spawnTelemd(overrides);
  const spoolDir = path.join(seed.dir, 'spool');
  seed.child.kill('SIGTERM');
  await seed.exited;
  const outbox = path.join(spoolDir, '.otlp');
  fs.mkdirSync(outbox, { recursive: true });
  const old = heartbeat(100);
  const fresh = heartbeat(101);
  const name = (at: number, r: TelemRecord) => `${String(at).padStart(15, '0')}-000000-${r.headers.event_id}`;
  fs.writeFileSync(
    path.join(outbox, name(Date.now() - 2 * 3600_000, old.record)),
    encodeSpoolFile(old.record),
  );
  fs.writeFileSync(path.join(outbox, name(Date.now() - 60_000, fresh.record)), encodeSpoolFile(fresh.record));
  await using telemd = await spawnTelemd({ ...overrides, spool_dir: spoolDir });
  const [dropped] = await droppedEntries(path.join(telemd.dir, 'journal'), 1);
  assert.equal(dropped?.eventId, old.record.headers.event_id);
  assert.equal(dropped?.note, 'otlp_expired');
  await telemd.waitForLog(/OTLP outbox record expired, deleted unsent/);
  await receiver.up();
  const [log] = await receiver.waitForLogs(1, 30_000);
  assert.equal(log!.traceId, fresh.record.headers.event_id);
  await waitUntil(() => outboxFiles(seed.dir).length === 0, 'an empty OTLP outbox', 30_000);
  assert.equal(receiver.logs.length, 1, 'the expired record was not sent');
  fs.rmSync(seed.dir, { recursive: true, force: true });
});
