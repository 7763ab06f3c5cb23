// hprobe and telem-record-gen as real processes, sending to a real unix
// socket served by this test. What arrives must be the frame the C library
// sends for the same inputs (test/vectors/socket), with only the creation
// timestamp and random event id masked; arch and kernel come from this
// machine's uname, the other host facts from a fake root that copies the
// capture machine.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { machine, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { decodeFrame, encodeFrame } from '@telemetrics/libtelemetry';
import { listenForFrames } from '../helpers/frame-listener.ts';
import { binPath, runBin } from '../helpers/run-bin.ts';
import { CAPTURE_MACHINE, writeFakeMachine } from '../helpers/fake-machine.ts';
import { readVector, vectorPath } from '../helpers/vectors.ts';

const HPROBE = binPath('packages/hprobe/dist/hprobe.mjs');
const RECORD_GEN = binPath('packages/libtelemetry/dist/bin/telem-record-gen.mjs');
const NOT_OPTED_IN = "Unable to send record. Make sure to opt-in to telemetry first 'telemctl opt-in'\n";

const dir = mkdtempSync(join(tmpdir(), 'telem-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// The capture machine of the vectors: no DMI, Debian os-release via a symlink.
const root = writeFakeMachine(join(dir, 'root'), {
  ...CAPTURE_MACHINE,
  'usr/share/clear/bundles/os-core': '',
  'usr/share/clear/bundles/editors': '',
  'usr/share/clear/bundles/.MoM': '',
});
writeFileSync(join(dir, 'opt-in'), '');

let configs = 0;
/** A config file sending to `socket`; opted in unless told otherwise. */
function config(socket: string, optedIn = true): string {
  const path = join(dir, `telemetrics-${configs++}.conf`);
  writeFileSync(
    path,
    [
      '[settings]',
      `socket_path=${socket}`,
      `opt_in_file=${join(dir, optedIn ? 'opt-in' : 'no-opt-in')}`,
      `host_root=${root}`,
      '',
    ].join('\n'),
  );
  return path;
}

let sockets = 0;
const socketPath = () => join(dir, `telem-${sockets++}`);
const ENV = { PATH: process.env['PATH'] ?? '', LANG: 'C.UTF-8' };

/**
 * `received` must equal the vector's frame with the timestamp (and, unless
 * fixed, the event id) taken from `received`, arch and kernel from this
 * machine, our config path as CFG:, and optionally another payload.
 */
function assertLikeVector(
  received: Buffer,
  vector: string,
  opts: { cfgPath: string; eventIdFixed?: boolean; payload?: (want: Buffer) => Buffer },
): void {
  const got = decodeFrame(received);
  assert.ok(got.ok, got.ok ? '' : got.detail);
  const want = decodeFrame(readVector(`socket/${vector}`));
  assert.ok(want.ok);
  assert.equal(got.value.cfgPath, opts.cfgPath);
  assert.match(got.value.headers.creation_timestamp, /^\d+$/);
  assert.ok(Math.abs(Number(got.value.headers.creation_timestamp) - Date.now() / 1000) < 600);
  assert.match(got.value.headers.event_id, /^[0-9a-f]{32}$/);
  const headers = {
    ...want.value.headers,
    creation_timestamp: got.value.headers.creation_timestamp,
    event_id: opts.eventIdFixed === true ? want.value.headers.event_id : got.value.headers.event_id,
    arch: machine(),
    kernel_version: release(),
  };
  const payload = opts.payload?.(Buffer.from(got.value.payload)) ?? Buffer.from(want.value.payload);
  const expected = encodeFrame({ headers, payload, cfgPath: opts.cfgPath });
  assert.equal(received.toString('latin1'), expected.toString('latin1'));
  assert.deepEqual(received, expected);
}

test('hprobe sends the C hello record', async () => {
  await using listener = await listenForFrames(socketPath());
  const conf = config(listener.path);
  const result = await runBin(HPROBE, ['-f', conf], { env: ENV });
  assert.equal(result.stderr, '');
  assert.equal(result.stdout, 'Successfully sent record to daemon.\n');
  assert.equal(result.code, 0);
  assert.equal(listener.connections.length, 1);
  assertLikeVector(await listener.connections[0]!, 'v2.4.3-hprobe-cfg.bin', { cfgPath: conf });
});

test('hprobe -H -l -u sends the C heartbeat (LANG=C.UTF-8)', async () => {
  await using listener = await listenForFrames(socketPath());
  const conf = config(listener.path);
  const result = await runBin(HPROBE, ['-H', '-l', '-u', '--config_file', conf], { env: ENV });
  assert.equal(result.code, 0, result.stderr);
  const received = await listener.connections[0]!;
  assertLikeVector(received, 'v2.4.3-heartbeat.bin', {
    cfgPath: conf,
    payload: (got) => {
      // The uptime differs; everything around it must not.
      assert.match(got.toString(), /^hello\nLC_ALL: C\.UTF-8\nuptime: \d+\n$/);
      return got;
    },
  });
});

test('hprobe -b lists the bundles under host_root', async () => {
  await using listener = await listenForFrames(socketPath());
  const result = await runBin(HPROBE, ['-b', '-f', config(listener.path)], { env: ENV });
  assert.equal(result.code, 0, result.stderr);
  const got = decodeFrame(await listener.connections[0]!);
  assert.ok(got.ok);
  assert.equal(got.value.payload.toString(), 'hello\n\nBundles (2):\neditors\nos-core\n');
});

test('hprobe -b on a machine without Clear Linux bundles says so in one line and sends the record without them', async () => {
  await using listener = await listenForFrames(socketPath());
  // A host root with no usr/share/clear/bundles, like any machine but Clear Linux.
  writeFakeMachine(join(dir, 'no-clear'), CAPTURE_MACHINE);
  const conf = join(dir, 'no-clear.conf');
  writeFileSync(
    conf,
    `[settings]\nsocket_path=${listener.path}\nopt_in_file=${join(dir, 'opt-in')}\nhost_root=${join(dir, 'no-clear')}\n`,
  );
  const result = await runBin(HPROBE, ['-b', '-f', conf], { env: ENV });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stderr,
    `hprobe: no bundle list (${join(dir, 'no-clear', 'usr/share/clear/bundles')} does not exist: not Clear Linux); sending the record without it\n`,
  );
  const got = decodeFrame(await listener.connections[0]!);
  assert.ok(got.ok);
  assert.equal(got.value.payload.toString(), 'hello\n');
});

test('telem-record-gen -p sends the C "special" record byte for byte', async () => {
  await using listener = await listenForFrames(socketPath());
  const conf = config(listener.path);
  const special = readVector('payloads/special-chars.txt').toString('latin1');
  const args = ['-c', 'org.example/vectors/special-chars', '-s', '3', '-R', '2'];
  const result = await runBin(
    RECORD_GEN,
    [...args, '-e', '0123456789abcdeffedcba9876543210', '-p', special, '-f', conf],
    { env: ENV },
  );
  assert.deepEqual(result, { code: 0, stdout: '', stderr: '' });
  assertLikeVector(await listener.connections[0]!, 'v2.4.3-special-cfg.bin', {
    cfgPath: conf,
    eventIdFixed: true,
  });
});

test('telem-record-gen -P and stdin: payloads up to 8192 bytes are sent whole', async () => {
  await using listener = await listenForFrames(socketPath());
  const conf = config(listener.path);
  const args = ['-c', 'org.example/vectors/size-limit', '-s', '1', '-R', '1', '--config-file', conf];
  const fromFile = await runBin(RECORD_GEN, [...args, '-P', vectorPath('payloads/size-8192.txt')], {
    env: ENV,
  });
  assert.equal(fromFile.code, 0, fromFile.stderr);
  const fromStdin = await runBin(RECORD_GEN, args, { env: ENV, input: readVector('payloads/size-8187.txt') });
  assert.equal(fromStdin.code, 0, fromStdin.stderr);
  assertLikeVector(await listener.connections[0]!, 'v2.4.3-payload-8192.bin', { cfgPath: conf });
  assertLikeVector(await listener.connections[1]!, 'v2.4.3-payload-8187.bin', { cfgPath: conf });
});

test('telem-record-gen -o -n prints the record as C does and sends nothing', async () => {
  await using listener = await listenForFrames(socketPath());
  const conf = config(listener.path);
  const result = await runBin(
    RECORD_GEN,
    ['-c', 'a/b/c', '-p', 'hi', '-e', '0123456789abcdef0123456789abcdef', '-o', '-n', '-f', conf],
    { env: ENV },
  );
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.split('\n');
  assert.equal(lines.length, 17, '15 header lines, the payload, then the newline C adds');
  assert.equal(lines[0], 'record_format_version: 4');
  assert.equal(lines[3], 'machine_id: FFFFFFFF');
  assert.equal(lines[14], 'event_id: 0123456789abcdef0123456789abcdef');
  assert.ok(result.stdout.endsWith('event_id: 0123456789abcdef0123456789abcdef\nhi\n'));
  assert.equal(listener.connections.length, 0);
});

test('payloads over 8192 bytes are an error, not truncated, and nothing is sent', async () => {
  await using listener = await listenForFrames(socketPath());
  const big = join(dir, 'big.txt');
  writeFileSync(big, 'x'.repeat(8193));
  const conf = config(listener.path);
  for (const extra of [
    ['-P', big],
    ['-p', 'x'.repeat(8193)],
  ]) {
    const result = await runBin(RECORD_GEN, ['-c', 'a/b/c', '-f', conf, ...extra], { env: ENV });
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'Error: payload is larger than 8192 bytes\n');
  }
  const stdin = await runBin(RECORD_GEN, ['-c', 'a/b/c', '-f', conf], {
    env: ENV,
    input: 'y'.repeat(100_000),
  });
  assert.equal(stdin.code, 1);
  assert.equal(listener.connections.length, 0);
});

test('not opted in: both tools refuse, exit 1, and never connect', async () => {
  await using listener = await listenForFrames(socketPath());
  const conf = config(listener.path, false);
  const h = await runBin(HPROBE, ['-f', conf], { env: ENV });
  assert.equal(h.code, 1);
  assert.equal(h.stdout, '');
  assert.match(
    h.stderr,
    /^Failed to send record to daemon: not opted in to telemetry \(.*no-opt-in does not exist\)\n$/,
  );
  const g = await runBin(RECORD_GEN, ['-c', 'a/b/c', '-p', 'x', '-f', conf], { env: ENV });
  assert.deepEqual(g, { code: 1, stdout: '', stderr: NOT_OPTED_IN });
  assert.equal(listener.connections.length, 0);
});

test('no daemon socket: exit 1 with the reason', async () => {
  const conf = config(join(dir, 'absent-socket'));
  const h = await runBin(HPROBE, ['-f', conf], { env: ENV });
  assert.equal(h.code, 1);
  assert.match(h.stderr, /^Failed to send record to daemon: .*absent-socket: no daemon socket/);
  const g = await runBin(RECORD_GEN, ['-c', 'a/b/c', '-p', 'x', '-f', conf], { env: ENV });
  assert.equal(g.code, 1);
  assert.match(g.stderr, /^Error: Unable to send record: .*no daemon socket/);
});

test('a daemon that closes before reading: exit 1, not killed by SIGPIPE', async () => {
  await using listener = await listenForFrames(socketPath(), { closeEarly: true });
  const conf = config(listener.path);
  const h = await runBin(HPROBE, ['-f', conf], { env: ENV });
  assert.equal(h.code, 1);
  assert.match(h.stderr, /^Failed to send record to daemon: .*closed the connection/);
  const g = await runBin(
    RECORD_GEN,
    ['-c', 'a/b/c', '-P', vectorPath('payloads/size-8192.txt'), '-f', conf],
    {
      env: ENV,
    },
  );
  assert.equal(g.code, 1);
  assert.match(g.stderr, /^Error: Unable to send record: .*closed the connection/);
  assert.equal(listener.connections.length, 2);
});

test('option and config errors: C messages and exit codes', async () => {
  const conf = config(join(dir, 'unused'));
  const cases: [string, string[], number, RegExp][] = [
    [RECORD_GEN, ['-p', 'x', '-f', conf], 1, /^Error: Classification required\. See --help\.\n$/],
    [RECORD_GEN, ['-c', 'a/b/c', '-s', '5', '-f', conf], 1, /^Error: Valid range for severity is 1-4\n$/],
    [
      RECORD_GEN,
      ['-c', 'a/b/c', '-s', 'x', '-f', conf],
      1,
      /^Invalid severity number\. Must be an integer\n$/,
    ],
    [RECORD_GEN, ['-c', 'a/b/c', '-e', 'abc', '-f', conf], 1, /^Error: event_id length 3 it should have 32/],
    [
      RECORD_GEN,
      ['-c', 'a/b/c', '-e', `${'0'.repeat(31)}G`, '-f', conf],
      1,
      /invalid character 'G' at position 31/,
    ],
    [
      RECORD_GEN,
      ['-c', 'a/b/c', '-P', join(dir, 'nope'), '-f', conf],
      1,
      /^Error: file .*nope could not be opened/,
    ],
    [RECORD_GEN, ['-c', 'a/b/c', '-p', 'x', '-f', 'relative.conf'], 1, /^Configuration file path not valid/],
    [RECORD_GEN, ['--bogus'], 2, /Unknown option '--bogus'\nTry 'telem-record-gen --help'/],
    [HPROBE, ['-f', join(dir, 'missing.conf')], 1, /^Configuration file path not valid/],
    [HPROBE, ['-x'], 1, /Unknown option '-x'/],
  ];
  for (const [bin, args, code, stderr] of cases) {
    const result = await runBin(bin, args, { env: ENV });
    assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, stderr, args.join(' '));
  }
  const bad = join(dir, 'bad.conf');
  writeFileSync(bad, '[settings]\nrecord_window_length=99\n');
  const result = await runBin(HPROBE, ['-f', bad], { env: ENV });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /bad\.conf:2: record_window_length: must be 0\.\.59/);
});

test('--help and --version', async () => {
  for (const bin of [HPROBE, RECORD_GEN]) {
    const help = await runBin(bin, ['--help']);
    assert.equal(help.code, 0);
    for (const section of ['NAME', 'SYNOPSIS', 'OPTIONS', 'EXIT STATUS', 'FILES']) {
      assert.match(help.stdout, new RegExp(`^${section}$`, 'm'));
    }
    const version = await runBin(bin, ['-V']);
    assert.deepEqual(version, {
      code: 0,
      stdout: `${bin === HPROBE ? 'hprobe' : 'telem-record-gen'} 0.1.0\n`,
      stderr: '',
    });
  }
});
