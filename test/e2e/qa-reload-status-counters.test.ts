// QA: every SIGHUP built a new durable pipeline with fresh counters, so `telemctl status`
// showed accepted/delivered/retried/... back at zero after each reload (and the retiring
// pipeline's last status write could put the old numbers back). The counters must span reloads.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startCollector } from '../helpers/collector.ts';
import { sendFrame, spawnTelemd, waitUntil } from '../helpers/telemd.ts';
import { hprobeFrame } from '../helpers/vectors.ts';

const frame = (n: number) => hprobeFrame(0x7a00 + n).bytes;

interface Status {
  pid: number;
  counters: { accepted: number; delivered: number };
}
function readStatus(file: string): Status | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Status;
  } catch {
    return undefined;
  }
}

test('telemd status counters survive SIGHUP reloads', async () => {
  await using collector = await startCollector();
  await using p = await spawnTelemd({ server: collector.v2Url });
  const statusFile = path.join(p.dir, 'telemd-status.json');
  const delivered = (n: number) => () => (readStatus(statusFile)?.counters.delivered ?? 0) >= n;

  await sendFrame(p.socketPath, frame(1));
  await waitUntil(delivered(1), 'the first delivery in the status file');

  p.child.kill('SIGHUP');
  await p.waitForLog(/configuration reloaded/);
  await sendFrame(p.socketPath, frame(2));
  await collector.waitForRecords(2, { timeoutMs: 10_000 });
  await waitUntil(delivered(2), 'two deliveries in the status file');

  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
  const last = readStatus(statusFile);
  assert.equal(last?.counters.accepted, 2);
  assert.equal(last?.counters.delivered, 2);
});
