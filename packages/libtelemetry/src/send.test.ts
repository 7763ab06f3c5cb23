import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { listenForFrames } from '../../../test/helpers/frame-listener.ts';
import { ErrorCodes, SendError, TelemetryError } from './errors.ts';
import { isOptedIn } from './opt-in.ts';
import { createRecord } from './record.ts';
import { checkConfigFilePath, sendRecord, setConfigFile } from './send.ts';
import { decodeFrame, encodeFrame } from './wire/frame.ts';

const dir = mkdtempSync(join(tmpdir(), 'telem-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const optIn = join(dir, 'opt-in');
writeFileSync(optIn, '');
const confFile = join(dir, 'custom.conf');
writeFileSync(confFile, '[settings]\n');
let sockets = 0;

const record = createRecord({
  severity: 2,
  classification: 'org.example/demo/small',
  payload: 'hello\n',
  facts: {
    arch: 'x86_64',
    host_type: 'a|b|c',
    build: '1',
    kernel_version: '6.6',
    system_name: 'x',
    board_name: 'blank|blank',
    cpu_model: 'cpu',
    bios_version: 'bios',
  },
  now: 1_700_000_000_000,
  random: (n) => new Uint8Array(n).fill(0xab),
});

const listen = (options: { closeEarly?: boolean; holdOpen?: boolean } = {}) =>
  listenForFrames(join(dir, `s${sockets++}`), options);

function rejectsCode(promise: Promise<unknown>, code: string): Promise<void> {
  return assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof TelemetryError, String(err));
    assert.equal(err.code, code, err.message);
    return true;
  });
}

test('sends exactly the encoded frame over one connection', async () => {
  await using srv = await listen();
  await sendRecord(record, { socketPath: srv.path, optInFile: optIn });
  assert.equal(srv.connections.length, 1);
  const bytes = await srv.connections[0]!;
  assert.deepEqual(bytes, encodeFrame(record));
});

test('a config file puts CFG:<path> in the frame (tm_set_config_file)', async () => {
  await using srv = await listen();
  await sendRecord(await setConfigFile(record, confFile), { socketPath: srv.path, optInFile: optIn });
  await sendRecord(record, { socketPath: srv.path, optInFile: optIn, cfgPath: confFile });
  for (const frame of srv.connections) {
    const decoded = decodeFrame(await frame);
    assert.ok(decoded.ok);
    assert.equal(decoded.value.cfgPath, confFile);
  }
  assert.equal(srv.connections.length, 2);
});

test('config file paths must be absolute regular files', async () => {
  await rejectsCode(checkConfigFilePath('custom.conf'), ErrorCodes.TELEM_INVALID_CONFIG_PATH);
  await rejectsCode(checkConfigFilePath(join(dir, 'missing.conf')), ErrorCodes.TELEM_INVALID_CONFIG_PATH);
  await rejectsCode(checkConfigFilePath(dir), ErrorCodes.TELEM_INVALID_CONFIG_PATH);
  assert.equal(await checkConfigFilePath(confFile), confFile);
  await rejectsCode(
    sendRecord(record, { socketPath: join(dir, 'none'), optInFile: optIn, cfgPath: 'rel.conf' }),
    ErrorCodes.TELEM_INVALID_CONFIG_PATH,
  );
});

test('not opted in: refused without connecting (C: -ECONNREFUSED)', async () => {
  await using srv = await listen();
  assert.equal(await isOptedIn(join(dir, 'no-opt-in')), false);
  assert.equal(await isOptedIn(optIn), true);
  await rejectsCode(
    sendRecord(record, { socketPath: srv.path, optInFile: join(dir, 'no-opt-in') }),
    ErrorCodes.TELEM_NOT_OPTED_IN,
  );
  assert.equal(srv.connections.length, 0);
});

test('no socket file: TELEM_SOCKET_NOT_FOUND', async () => {
  await assert.rejects(sendRecord(record, { socketPath: join(dir, 'absent'), optInFile: optIn }), (err) => {
    assert.ok(err instanceof SendError);
    assert.equal(err.code, ErrorCodes.TELEM_SOCKET_NOT_FOUND);
    assert.equal(err.syscallCode, 'ENOENT');
    return true;
  });
});

test('a path nobody listens on: TELEM_CONNECTION_REFUSED', async () => {
  // connect() to a file that is not a listening socket fails with ECONNREFUSED.
  const stale = join(dir, 'stale-socket');
  writeFileSync(stale, '');
  await rejectsCode(
    sendRecord(record, { socketPath: stale, optInFile: optIn }),
    ErrorCodes.TELEM_CONNECTION_REFUSED,
  );
});

test('a daemon that closes without reading: TELEM_CONNECTION_CLOSED, no SIGPIPE death', async () => {
  await using srv = await listen({ closeEarly: true });
  const big = { ...record, payload: Buffer.alloc(8192, 0x61) };
  await rejectsCode(
    sendRecord(big, { socketPath: srv.path, optInFile: optIn }),
    ErrorCodes.TELEM_CONNECTION_CLOSED,
  );
});

test('a daemon that never closes: TELEM_SEND_TIMEOUT instead of a hang', async () => {
  await using srv = await listen({ holdOpen: true });
  await rejectsCode(
    sendRecord(record, { socketPath: srv.path, optInFile: optIn, timeoutMs: 100 }),
    ErrorCodes.TELEM_SEND_TIMEOUT,
  );
  assert.deepEqual(await srv.connections[0], encodeFrame(record), 'the frame itself was delivered');
});

test('a socket path too long for sun_path: TELEM_SEND_FAILED with the errno (C truncated it silently)', async () => {
  await assert.rejects(
    sendRecord(record, { socketPath: join(dir, 'x'.repeat(150)), optInFile: optIn }),
    (err: unknown) => {
      assert.ok(err instanceof SendError);
      assert.equal(err.code, ErrorCodes.TELEM_SEND_FAILED);
      assert.equal(typeof err.syscallCode, 'string');
      return true;
    },
  );
});

/** A daemon that greets as telemd does (wire/ack.ts) and then does `then` with each connection. */
async function greetingDaemon(then: (socket: Socket, frame: Buffer) => void, readFirst = true) {
  const path = join(dir, `g${sockets++}`);
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {});
    socket.write('TELEMD/1\n');
    if (!readFirst) {
      then(socket, Buffer.alloc(0));
      return;
    }
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => then(socket, Buffer.concat(chunks)));
  });
  server.listen(path);
  await once(server, 'listening');
  return {
    path,
    async [Symbol.asyncDispose]() {
      server.close();
    },
  };
}

test('the C daemon (reads, closes, writes nothing) is success, as before', async () => {
  await using srv = await listen();
  await sendRecord(record, { socketPath: srv.path, optInFile: optIn });
  assert.deepEqual(await srv.connections[0]!, encodeFrame(record));
});

test('telemd answers OK: success', async () => {
  await using srv = await greetingDaemon((s) => s.end('OK\n'));
  await sendRecord(record, { socketPath: srv.path, optInFile: optIn });
});

test('telemd greeted, read the frame and closed without an answer: TELEM_NOT_ACKNOWLEDGED', async () => {
  await using srv = await greetingDaemon((s) => s.destroy());
  await rejectsCode(sendRecord(record, { socketPath: srv.path, optInFile: optIn }), 'TELEM_NOT_ACKNOWLEDGED');
});

test('telemd greeted and died before reading (unread frame, a reset): TELEM_NOT_ACKNOWLEDGED', async () => {
  await using srv = await greetingDaemon((s) => setImmediate(() => s.destroy()), false);
  await rejectsCode(sendRecord(record, { socketPath: srv.path, optInFile: optIn }), 'TELEM_NOT_ACKNOWLEDGED');
});

test('each refusal code reaches the caller; an unknown one is TELEM_REFUSED', async () => {
  for (const code of [
    'TELEM_SPOOL_FULL',
    'TELEM_DISK_FULL',
    'TELEM_SPOOL_IO',
    'TELEM_RATE_LIMITED',
    'TELEM_SHED',
    'TELEM_INVALID_FRAME',
  ]) {
    await using srv = await greetingDaemon((s) => s.end(`NO ${code} some detail\n`));
    await rejectsCode(sendRecord(record, { socketPath: srv.path, optInFile: optIn }), code);
  }
  await using srv = await greetingDaemon((s) => s.end('NO TELEM_SOMETHING_NEW later\n'));
  await rejectsCode(sendRecord(record, { socketPath: srv.path, optInFile: optIn }), 'TELEM_REFUSED');
});

test('an answer followed by a reset (our FIN unread) is still the answer', async () => {
  await using srv = await greetingDaemon((s) => {
    s.write('NO TELEM_SHED too many\n');
    s.destroy();
  }, false);
  await rejectsCode(sendRecord(record, { socketPath: srv.path, optInFile: optIn }), 'TELEM_SHED');
});
