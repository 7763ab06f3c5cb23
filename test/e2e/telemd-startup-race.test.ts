// Regression (found by the bench harness): a probe that connected while telemd
// was still starting (socket bound, handlers not yet attached) was accepted by
// the kernel but never read, so its record was lost and its fd stayed open.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { pollFor } from '../helpers/poll.ts';
import { startCollector } from '../helpers/collector.ts';
import { spawnTelemd } from '../helpers/telemd.ts';
import { hprobeFrame } from '../helpers/vectors.ts';

const frame = (n: number) => hprobeFrame(0x5a00 + n).bytes;

/** Connect at the first instant the socket accepts; write the frame and end. */
async function sendAsSoonAsPossible(socketPath: string, bytes: Buffer, timeoutMs: number): Promise<void> {
  // Polling the connect is the point: it aims at the start-up gap (the next turn of the loop).
  const connected = await pollFor(
    () =>
      new Promise<net.Socket | undefined>((resolve) => {
        const socket = net.createConnection({ path: socketPath });
        socket.once('connect', () => resolve(socket));
        socket.once('error', () => resolve(undefined));
      }),
    'telemd to accept a connection',
    { timeoutMs },
  );
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
