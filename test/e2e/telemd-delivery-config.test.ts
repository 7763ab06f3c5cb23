// Issue 15, point 3: configuration that can never work is refused at start with file:line; a
// wrong server path (404) is a configuration fault, not a refusal of each record; clamped
// values are said once at load with the value used. The real telemd binary.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startCollector } from '../helpers/collector.ts';
import { sendFrame, spawnTelemd } from '../helpers/telemd.ts';
import { hprobeFrame } from '../helpers/vectors.ts';

let seq = 0x15_000;

function lineOf(file: string, key: string): number {
  return (
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .findIndex((l) => l.startsWith(`${key}=`)) + 1
  );
}

for (const [server, reason] of [
  ['not a url', /is not a URL/],
  ['ftp://127.0.0.1/v2/collector', /scheme "ftp:" is not supported/],
  ['file:///var/spool/telemetry', /scheme "file:" is not supported/],
] as const) {
  test(`server=${server} is a start-up error naming file:line`, async () => {
    await using p = await spawnTelemd({ server }, { waitReady: false });
    assert.equal(await p.exited, 1);
    const where = `${p.configFile}:${lineOf(p.configFile, 'server')}: server:`;
    const line = p
      .log()
      .split('\n')
      .find((l) => l.includes(where));
    assert.ok(line, `a line naming ${where}:\n${p.log()}`);
    assert.match(line, /^<3>/);
    assert.match(line, reason);
    assert.doesNotMatch(p.log(), /telemd started/);
  });
}

test('a clamped spool_process_time is logged once at load, with the value used', async () => {
  await using collector = await startCollector();
  await using p = await spawnTelemd({ server: collector.v2Url, spool_process_time: 10 });
  const where = `${p.configFile}:${lineOf(p.configFile, 'spool_process_time')}`;
  const lines = p
    .log()
    .split('\n')
    .filter((l) => l.includes('spool_process_time'));
  assert.deepEqual(lines.length, 1, p.log());
  assert.match(lines[0]!, /^<4>/);
  assert.ok(lines[0]!.includes(`${where}: spool_process_time: 10 is below the minimum, using 120`), lines[0]);
});

test('404 from the collector: kept and retried with backoff, one loud line, delivered once fixed', async () => {
  await using collector = await startCollector();
  collector.respondWith({ status: 404 });
  await using p = await spawnTelemd({
    server: collector.v2Url,
    delivery_retry_base_ms: 200,
    delivery_retry_max_ms: 400,
  });
  const frames = [hprobeFrame(++seq), hprobeFrame(++seq), hprobeFrame(++seq)];
  for (const f of frames) await sendFrame(p.socketPath, f.bytes);
  // Retried: more 404 answers than records.
  await collector.waitForResponses(frames.length + 2, { timeoutMs: 30_000 });
  const spool = path.join(p.dir, 'spool');
  assert.equal(
    fs.existsSync(path.join(spool, '.quarantine'))
      ? fs.readdirSync(path.join(spool, '.quarantine')).length
      : 0,
    0,
    'nothing quarantined',
  );
  assert.equal(fs.readdirSync(spool).filter((n) => !n.startsWith('.')).length, frames.length, 'all kept');
  const loud = p
    .log()
    .split('\n')
    .filter((l) => l.includes('404'));
  assert.equal(loud.filter((l) => l.startsWith('<3>')).length, 1, p.log());
  assert.match(loud.find((l) => l.startsWith('<3>'))!, /server= names a path it does not serve/);
  collector.respondWith(null);
  const stored = await collector.waitForRecords(frames.length, { timeoutMs: 30_000 });
  assert.deepEqual(stored.map((r) => r.event_id).sort(), frames.map((f) => f.event_id).sort());
});
