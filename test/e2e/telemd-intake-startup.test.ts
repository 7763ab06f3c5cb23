// A connection that opens and closes while telemd is still starting (held by
// the listener, served once the daemon is ready) is logged as an empty
// connection at once, not as TELEMD_READ_TIMEOUT when the read deadline
// passes: its close happened before the reader listened for it (issue 14).
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { pollFor } from '../helpers/poll.ts';
import { spawnTelemd } from '../helpers/telemd.ts';

/** Connect at the first instant the socket accepts, then close without writing. */
async function connectAndCloseDuringStart(socketPath: string, timeoutMs: number): Promise<void> {
  // Polling the connect is the point: it aims at the start-up gap (the next turn of the loop).
  const socket = await pollFor(
    () =>
      new Promise<net.Socket | undefined>((resolve) => {
        const s = net.createConnection({ path: socketPath });
        s.once('connect', () => resolve(s));
        s.once('error', () => resolve(undefined));
      }),
    'telemd to accept a connection',
    { timeoutMs },
  );
  socket.destroy();
}

test('a connection opened and closed during start-up is logged as empty, not as a read timeout', async () => {
  await using p = await spawnTelemd(
    { record_server_delivery_enabled: false, intake_read_timeout_ms: 60_000 },
    { waitReady: false },
  );
  await connectAndCloseDuringStart(p.socketPath, 15_000);
  const line = await p.waitForLog(/code=TELEMD_(EMPTY_CONNECTION|READ_TIMEOUT)/, 30_000);
  assert.match(line, /code=TELEMD_EMPTY_CONNECTION/);
});
