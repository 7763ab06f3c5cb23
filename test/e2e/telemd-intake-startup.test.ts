// A connection that opens and closes while telemd is still starting (held by
// the listener, served once the daemon is ready) is logged as an empty
// connection at once, not as TELEMD_READ_TIMEOUT when the read deadline
// passes: its close happened before the reader listened for it (issue 14).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectOnceAccepting, spawnTelemd } from '../helpers/telemd.ts';

/** Connect at the first instant the socket accepts, then close without writing. */
async function connectAndCloseDuringStart(socketPath: string, timeoutMs: number): Promise<void> {
  const socket = await connectOnceAccepting(socketPath, timeoutMs);
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
