// telemd's last line ("telemd stopped ...") tells what became of the records, from the durable
// pipeline's own counters: delivered, spooled (kept for a later attempt), dropped in total and by
// reason, quarantined, expired, and how many are still in the spool for the next run. Before,
// it printed failed/kept counters only the non-durable test pipeline fed (always 0).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCollector } from '../helpers/collector.ts';
import { sendFrame, spawnTelemd, type SpawnedTelemd } from '../helpers/telemd.ts';
import { hprobeFrame } from '../helpers/vectors.ts';

let seq = 0x5e00;
const frame = () => hprobeFrame(++seq).bytes;

/** SIGTERM, exit 0, and the summary's fields as numbers. */
async function stopAndSummarize(p: SpawnedTelemd): Promise<Record<string, number>> {
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0, p.log());
  const line = p
    .log()
    .split('\n')
    .find((l) => l.startsWith('<5>telemd stopped '));
  assert.ok(line, `no summary line:\n${p.log()}`);
  const fields: Record<string, number> = {};
  for (const pair of line.slice('<5>telemd stopped '.length).split(' ')) {
    const [key, value] = pair.split('=');
    fields[key!] = Number(value);
  }
  return fields;
}

test('exit summary: delivered and quarantined (a 400 answer)', async () => {
  await using collector = await startCollector();
  collector.respondWith({ status: 400 }, { times: 1 });
  await using p = await spawnTelemd({ server: collector.v2Url });
  for (let i = 0; i < 3; i++) await sendFrame(p.socketPath, frame());
  await collector.waitForResponses(3);
  await p.waitForLog(/^<4>spool entry quarantined/);
  const s = await stopAndSummarize(p);
  assert.deepEqual(
    { accepted: s.accepted, delivered: s.delivered, quarantined: s.quarantined, dropped: s.dropped },
    { accepted: 3, delivered: 2, quarantined: 1, dropped: 0 },
  );
  assert.equal(s.in_spool, 0);
  assert.equal('failed' in s || 'kept' in s, false, 'no counters the durable pipeline does not feed');
});

test('exit summary: dropped by reason (rate_limit_strategy=drop)', async () => {
  await using collector = await startCollector();
  await using p = await spawnTelemd({
    server: collector.v2Url,
    rate_limit_enabled: true,
    record_burst_limit: 2,
    record_window_length: 5,
    rate_limit_strategy: 'drop',
  });
  for (let i = 0; i < 5; i++) await sendFrame(p.socketPath, frame());
  await collector.waitForRecords(2);
  const s = await stopAndSummarize(p);
  assert.equal(collector.records.length, 2);
  assert.deepEqual(
    {
      accepted: s.accepted,
      delivered: s.delivered,
      dropped: s.dropped,
      rate_limited: s.dropped_rate_limited,
    },
    { accepted: 5, delivered: 2, dropped: 3, rate_limited: 3 },
  );
  assert.equal(s.in_spool, 0);
});

test('exit summary: server down, records spooled and still in the spool at exit', async () => {
  await using collector = await startCollector();
  await collector.stop(); // the port refuses connections: every attempt is retryable
  await using p = await spawnTelemd({ server: collector.v2Url });
  await sendFrame(p.socketPath, frame());
  await p.waitForLog(/delivery failed, records stay in the spool/);
  await sendFrame(p.socketPath, frame());
  const s = await stopAndSummarize(p);
  assert.deepEqual(
    {
      accepted: s.accepted,
      delivered: s.delivered,
      spooled: s.spooled,
      in_spool: s.in_spool,
      dropped: s.dropped,
    },
    { accepted: 2, delivered: 0, spooled: 2, in_spool: 2, dropped: 0 },
  );
});
