// Regression (found by the bench harness): a probe that connected while telemd
// was still starting (socket bound, handlers not yet attached) was accepted by
// the kernel but never read, so its record was lost and its fd stayed open.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCollector } from '../helpers/collector.ts';
import { connectOnceAccepting, spawnTelemd } from '../helpers/telemd.ts';
import { hprobeFrame } from '../helpers/vectors.ts';

const frame = (n: number) => hprobeFrame(0x5a00 + n).bytes;

/** Connect at the first instant the socket accepts; write the frame and end. */
async function sendAsSoonAsPossible(socketPath: string, bytes: Buffer, timeoutMs: number): Promise<void> {
  const connected = await connectOnceAccepting(socketPath, timeoutMs);
  connected.end(bytes);
}

test('a probe connecting during start-up is served, not left unread', async () => {
  await using collector = await startCollector();
  for (let run = 0; run < 3; run++) {
    await using p = await spawnTelemd({ server: collector.v2Url }, { waitReady: false });
    await sendAsSoonAsPossible(p.socketPath, frame(run), 15_000);
    await collector.waitForRecords(run + 1, { timeoutMs: 15_000 });
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
  }
  assert.equal(collector.records.length, 3);
});
