// startDaemon with a listener main.ts opened first (the two-stage start). The rest of the daemon
// is tested through real processes in test/e2e; this is the one path a process cannot reach on
// demand: a start that fails after the socket already listens (main.ts's preflight makes it a
// race between the check and the open).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { waitUntil } from '../../../test/helpers/poll.ts';
import { createMemoryLogger } from '@telemetrics/libtelemetry/log';
import { testConfig } from './config.fixtures.ts';
import { startDaemon } from './daemon.ts';
import { openListener } from './intake/listen.ts';

test('a start that fails after listening closes the held connections unread, says how many, removes the socket', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telem-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // The spool directory went bad after the preflight passed: its parent is now a regular file.
  fs.writeFileSync(path.join(dir, 'file'), 'not a directory\n');
  const config = testConfig(dir, { spool_dir: path.join(dir, 'file', 'spool') });
  const logger = createMemoryLogger();
  const listener = await openListener({ socketPath: config.socket_path, maxConnections: 8, logger });

  const client = net.createConnection(config.socket_path);
  client.on('error', () => {}); // a reset is what an unread close looks like to the client
  client.resume(); // the greeting (docs/intake.md) is read, so that the close is seen
  const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  await new Promise<void>((resolve) => client.write('a frame nobody will read', () => resolve()));
  await waitUntil(
    async () => (await new Promise<number>((r) => listener.server.getConnections((_, n) => r(n)))) >= 1,
    'the listener to accept the connection',
  );

  await assert.rejects(startDaemon({ config, logger, listener }), { code: 'TELEMD_SPOOL_DIR' });
  await clientClosed;
  assert.equal(fs.existsSync(config.socket_path), false, 'the socket file is removed');
  assert.equal(listener.server.listening, false);
  const errors = logger.lines.filter((l) => l.startsWith('<3>'));
  assert.deepEqual(errors, [
    '<3>start-up failed; connections accepted while starting were closed unread connections=1',
  ]);
});
