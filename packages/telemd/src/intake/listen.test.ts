import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { waitUntil } from '../../../../test/helpers/poll.ts';
import { createMemoryLogger } from '@telemetrics/libtelemetry/log';
import { bindListener, openListener, socketActivationFd } from './listen.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telem-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

test('socketActivationFd follows sd_listen_fds', () => {
  assert.equal(socketActivationFd({ LISTEN_PID: '42', LISTEN_FDS: '1' }, 42), 3);
  assert.equal(socketActivationFd({ LISTEN_PID: '42', LISTEN_FDS: '2' }, 42), 3);
  assert.equal(socketActivationFd({ LISTEN_PID: '41', LISTEN_FDS: '1' }, 42), undefined);
  assert.equal(socketActivationFd({ LISTEN_PID: '42', LISTEN_FDS: '0' }, 42), undefined);
  assert.equal(socketActivationFd({ LISTEN_PID: '42' }, 42), undefined);
  assert.equal(socketActivationFd({}, 42), undefined);
});

test('creates the socket with mode 0666 and removes it at cleanup', async () => {
  const p = path.join(dir, 'telem-0');
  const server = net.createServer();
  const bound = await bindListener(server, { socketPath: p, logger: createMemoryLogger() });
  assert.equal(fs.statSync(p).mode & 0o777, 0o666);
  assert.ok(fs.statSync(p).isSocket());
  await closeServer(server);
  await bound.cleanup();
  assert.equal(fs.existsSync(p), false);
});

test('missing directory fails clearly', async () => {
  const server = net.createServer();
  await assert.rejects(
    bindListener(server, { socketPath: path.join(dir, 'nope', 'sock'), logger: createMemoryLogger() }),
    { code: 'TELEMD_SOCKET_DIR' },
  );
});

test('a regular file at the path is never removed', async () => {
  const p = path.join(dir, 'telem-0');
  fs.writeFileSync(p, 'precious');
  await assert.rejects(bindListener(net.createServer(), { socketPath: p, logger: createMemoryLogger() }), {
    code: 'TELEMD_SOCKET_NOT_SOCKET',
  });
  assert.equal(fs.readFileSync(p, 'utf8'), 'precious');
});

test("another daemon's live socket is left alone", async () => {
  const p = path.join(dir, 'telem-0');
  const other = net.createServer();
  await new Promise<void>((resolve) => other.listen(p, resolve));
  await assert.rejects(bindListener(net.createServer(), { socketPath: p, logger: createMemoryLogger() }), {
    code: 'TELEMD_SOCKET_IN_USE',
  });
  assert.ok(fs.statSync(p).isSocket());
  await closeServer(other);
});

test('a stale socket file (nobody listening) is replaced', async () => {
  const p = path.join(dir, 'telem-0');
  // A socket file with no listener: bind a server, then drop its fd without unlinking.
  const stale = net.createServer();
  await new Promise<void>((resolve) => stale.listen(p, resolve));
  fs.renameSync(p, `${p}.keep`);
  await closeServer(stale);
  fs.renameSync(`${p}.keep`, p);
  assert.ok(fs.statSync(p).isSocket());
  const logger = createMemoryLogger();
  const server = net.createServer();
  const bound = await bindListener(server, { socketPath: p, logger });
  assert.ok(logger.lines.some((l) => l.includes('stale')));
  // The new socket is live: a connection is accepted.
  const accepted = new Promise<void>((resolve) =>
    server.once('connection', (s) => resolve(void s.destroy())),
  );
  const client = net.connect(p);
  client.on('error', () => {});
  await accepted;
  client.destroy();
  await closeServer(server);
  await bound.cleanup();
});

test('a path too long for sun_path fails with TELEMD_SOCKET_LISTEN', async () => {
  const p = path.join(dir, 'x'.repeat(120));
  await assert.rejects(bindListener(net.createServer(), { socketPath: p, logger: createMemoryLogger() }), {
    code: 'TELEMD_SOCKET_LISTEN',
  });
});

/** Connects and writes `text`; resolves with the socket once the bytes are handed to the kernel. */
function connectAndWrite(socketPath: string, text: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    socket.once('error', reject);
    socket.write(text, () => resolve(socket));
  });
}

test('openListener holds connections made before serve(), then serves them with the later ones', async () => {
  const p = path.join(dir, 'telem-0');
  const listener = await openListener({ socketPath: p, maxConnections: 8, logger: createMemoryLogger() });
  const early = [await connectAndWrite(p, 'one'), await connectAndWrite(p, 'two')];
  // The listener has accepted both (held), and nobody has read them yet.
  await waitUntil(
    async () => (await new Promise<number>((r) => listener.server.getConnections((_, n) => r(n)))) >= 2,
    'the listener to accept the early connections',
  );
  const served: string[] = [];
  const allRead = new Promise<void>((resolve) => {
    listener.serve((socket) => {
      socket.setEncoding('utf8');
      socket.once('data', (text: string) => {
        // The server half-opens (allowHalfOpen): whoever serves a socket closes it.
        socket.destroy();
        served.push(text);
        if (served.length === 3) resolve();
      });
    });
  });
  const late = await connectAndWrite(p, 'three');
  await allRead;
  // each connection is read once, early or late (the order of reads across sockets is the kernel's)
  assert.deepEqual(served.sort(), ['one', 'three', 'two']);
  for (const s of [...early, late]) s.destroy();
  await closeServer(listener.server);
  await listener.bound.cleanup();
});

test('openListener.abandon() closes held connections unread, stops listening and removes the socket', async () => {
  const p = path.join(dir, 'telem-0');
  const listener = await openListener({ socketPath: p, maxConnections: 8, logger: createMemoryLogger() });
  const client = await connectAndWrite(p, 'a record nobody will read');
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  client.on('error', () => {}); // ECONNRESET is what an unread close looks like
  await waitUntil(
    async () => (await new Promise<number>((r) => listener.server.getConnections((_, n) => r(n)))) >= 1,
    'the listener to accept the connection',
  );
  assert.equal(await listener.abandon(), 1);
  await closed;
  assert.equal(fs.existsSync(p), false);
  assert.equal(listener.server.listening, false);
});
