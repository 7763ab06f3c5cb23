// telemd intake over a real unix socket, in-process daemon, real collector on
// 127.0.0.1: C frames arrive intact, split frames are reassembled, hostile
// frames are rejected with a reason while the daemon keeps serving.
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { decodeFrame, encodeFrame, type RecordHeaders } from '@telemetrics/libtelemetry/wire';
import { startCollector } from '../helpers/collector.ts';
import { sendFrame, startTestDaemon, waitUntil } from '../helpers/telemd.ts';
import { readVector } from '../helpers/vectors.ts';

const ACCEPTED = [
  'hprobe',
  'hprobe-cfg',
  'heartbeat',
  'special',
  'special-cfg',
  'payload-8187',
  'payload-8188',
  'payload-8192',
];

function vectorFrame(name: string) {
  const d = decodeFrame(readVector(name));
  assert.ok(d.ok);
  return d.value;
}

function frameWith(overrides: Partial<Record<keyof RecordHeaders, string>>, payload = 'hello\n'): Buffer {
  const base = vectorFrame('socket/v2.4.3-hprobe.bin');
  return encodeFrame({ headers: { ...base.headers, ...overrides }, payload: Buffer.from(payload) });
}

let seq = 0;
function eventId(): string {
  return (++seq).toString(16).padStart(32, '0');
}

describe('C frames replayed into telemd reach the collector intact', () => {
  for (const api of ['v2', 'v3'] as const) {
    test(api, async () => {
      await using collector = await startCollector();
      await using d = await startTestDaemon({ server: api === 'v2' ? collector.v2Url : collector.v3Url });
      const names = ACCEPTED.flatMap((n) => [`socket/v2.3.5-${n}.bin`, `socket/v2.4.3-${n}.bin`]);
      for (const name of names) await sendFrame(d.socketPath, readVector(name));
      const records = await collector.waitForRecords(names.length);
      const byEvent = new Map(
        records.map((r) => [`${r.event_id}|${r.timestamp_client}|${r.payload.length}`, r]),
      );
      for (const name of names) {
        const sent = vectorFrame(name);
        const h = sent.headers;
        const got = byEvent.get(`${h.event_id}|${h.creation_timestamp}|${sent.payload.length}`);
        assert.ok(got, `${name} arrived`);
        assert.equal(got.classification, h.classification);
        assert.equal(got.severity, Number(h.severity));
        assert.equal(got.machine_id, d.daemon.machineId);
        assert.equal(got.arch, h.arch);
        assert.equal(got.machine_type, h.host_type);
        assert.equal(got.build, h.build.replaceAll('"', ''));
        assert.equal(got.kernel_version, h.kernel_version);
        assert.equal(got.board_name, h.board_name);
        // Whole value, also over v3 (C cut it at the space, BUG-15).
        assert.equal(got.cpu_model, 'AMD EPYC');
        assert.equal(got.bios_version, h.bios_version);
        // Exactly the probe's payload: no extra LF (BUG-18); 8188..8192 accepted (BUG-6).
        assert.equal(got.payload, Buffer.from(sent.payload).toString('latin1'));
      }
      assert.equal(d.daemon.counters.rejected, 0);
    });
  }
});

test('a frame split across writes with delays is reassembled (C drops it, BUG-2)', async () => {
  await using d = await startTestDaemon({ record_server_delivery_enabled: false });
  const frame = frameWith({ event_id: eventId() });
  await sendFrame(d.socketPath, [frame.subarray(0, 2), frame.subarray(2, 100), frame.subarray(100)], {
    delayMs: 150,
  });
  const [record] = await d.nextAccepted(1);
  assert.equal(record!.payload.toString(), 'hello\n');
});

describe('hostile frames are rejected with a reason and the daemon keeps serving', () => {
  const valid = (): Buffer => frameWith({ event_id: eventId() });
  const cases: [string, () => Buffer, string][] = [
    ['truncated', () => valid().subarray(0, 200), 'TELEM_FRAME_TRUNCATED'],
    ['record_size too large', () => Buffer.from([0x10, 0x27, 0x01, 0x00, 1, 2, 3]), 'TELEM_FRAME_SIZE'],
    ['record_size 4', () => Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), 'TELEM_FRAME_SIZE'],
    ['1..3 bytes only', () => Buffer.from([0x20, 0x01]), 'TELEM_FRAME_TOO_SHORT'],
    [
      'oversize payload (8193)',
      () => frameWith({ event_id: eventId() }, 'x'.repeat(8193)),
      'TELEM_FRAME_PAYLOAD_SIZE',
    ],
    [
      '14 header lines',
      () => {
        const f = valid();
        const text = f.toString('latin1').replace(/event_id: [0-9a-f]{32}\n/, '');
        return fixSizes(Buffer.from(text, 'latin1'), -(10 + 32 + 1));
      },
      'TELEM_FRAME_HEADERS',
    ],
    [
      '16 header lines',
      () => {
        const extra = 'extra: line\n';
        const text = valid()
          .toString('latin1')
          .replace(/(event_id: [0-9a-f]{32}\n)/, `$1${extra}`);
        return fixSizes(Buffer.from(text, 'latin1'), extra.length);
      },
      'TELEM_FRAME_HEADERS',
    ],
    [
      'wrong header name (arch_foo)',
      () => Buffer.from(valid().toString('latin1').replace('arch: x86_64', 'arch_: x8664'), 'latin1'),
      'TELEM_FRAME_HEADERS',
    ],
    [
      'no terminating NUL',
      () => {
        const f = valid();
        f[f.length - 1] = 0x41;
        return f;
      },
      'TELEM_FRAME_NO_NUL',
    ],
    ['severity 9', () => frameWith({ event_id: eventId(), severity: '9' }), 'TELEMD_SEVERITY'],
    [
      'classification without slashes',
      () => frameWith({ event_id: eventId(), classification: 'abc' }),
      'TELEMD_CLASSIFICATION',
    ],
    ['event id uppercase', () => frameWith({ event_id: 'ABCDEF'.padEnd(32, '0') }), 'TELEMD_EVENT_ID'],
    [
      'record format version 3',
      () => frameWith({ event_id: eventId(), record_format_version: '3' }),
      'TELEMD_RECORD_VERSION',
    ],
  ];
  for (const [name, make, code] of cases) {
    test(name, async () => {
      await using d = await startTestDaemon({ record_server_delivery_enabled: false });
      await sendFrame(d.socketPath, make());
      const [rejection] = await d.nextRejected(1);
      assert.equal(rejection!.code, code);
      assert.ok(d.logger.lines.some((l) => l.startsWith('<4>frame rejected') && l.includes(`code=${code}`)));
      assert.equal(d.daemon.counters.rejectedByCode.get(code), 1);
      await sendFrame(d.socketPath, valid());
      await d.nextAccepted(1);
    });
  }
});

/** Adjust record_size and header_size of a v2 frame without CFG after editing the header block. */
function fixSizes(frame: Buffer, headerDelta: number): Buffer {
  frame.writeUInt32LE(frame.length, 0);
  frame.writeUInt32LE(frame.readUInt32LE(4) + headerDelta, 4);
  return frame;
}

test('legacy (pre-2.2.2) framing is accepted, with and without CFG:', async () => {
  await using d = await startTestDaemon({ record_server_delivery_enabled: false });
  const base = vectorFrame('socket/v2.4.3-hprobe.bin');
  for (const cfgPath of [undefined, '/etc/telemetrics/custom.conf']) {
    const headers = { ...base.headers, event_id: eventId() };
    await sendFrame(
      d.socketPath,
      encodeFrame({ headers, payload: Buffer.from('legacy\n'), cfgPath }, { framing: 'legacy' }),
    );
  }
  const records = await d.nextAccepted(2);
  assert.deepEqual(
    records.map((r) => [r.payload.toString(), r.cfgPath]),
    [
      ['legacy\n', undefined],
      ['legacy\n', '/etc/telemetrics/custom.conf'],
    ],
  );
});

test('one record per connection: a second frame on the same connection is discarded, as in C', async () => {
  await using d = await startTestDaemon({ record_server_delivery_enabled: false });
  const first = frameWith({ event_id: eventId() });
  const second = frameWith({ event_id: eventId() });
  await sendFrame(d.socketPath, Buffer.concat([first, second]));
  const [record] = await d.nextAccepted(1);
  assert.equal(record!.headers.event_id, vectorFrameId(first));
  await sendFrame(d.socketPath, frameWith({ event_id: eventId() }));
  await d.nextAccepted(2);
  assert.equal(d.accepted.length, 2);
  assert.equal(d.rejected.length, 0);
});

function vectorFrameId(bytes: Buffer): string {
  const decoded = decodeFrame(bytes);
  assert.ok(decoded.ok);
  return decoded.value.headers.event_id;
}

test('connect-and-close without data is logged at info, not as a hostile frame', async () => {
  await using d = await startTestDaemon({ record_server_delivery_enabled: false });
  await sendFrame(d.socketPath, []);
  const [rejection] = await d.nextRejected(1);
  assert.equal(rejection!.code, 'TELEMD_EMPTY_CONNECTION');
  assert.ok(
    d.logger.lines.some((l) => l.startsWith('<6>frame rejected') && l.includes('TELEMD_EMPTY_CONNECTION')),
  );
});

test('host-derived headers left empty are refilled from the daemon host facts', async () => {
  await using d = await startTestDaemon({ record_server_delivery_enabled: false });
  await sendFrame(d.socketPath, frameWith({ event_id: eventId(), cpu_model: '', arch: '' }));
  const [record] = await d.nextAccepted(1);
  assert.equal(record!.headers.cpu_model, 'Test CPU');
  assert.equal(record!.headers.arch, 'x86_64');
});

test('a client that never sends times out; others are served meanwhile', async () => {
  await using d = await startTestDaemon({
    record_server_delivery_enabled: false,
    intake_read_timeout_ms: 400,
  });
  const silent = net.connect(d.socketPath);
  silent.on('error', () => {});
  const partial = net.connect(d.socketPath);
  partial.on('error', () => {});
  // Read the greeting and answer, so that the daemon's close is seen.
  silent.resume();
  partial.resume();
  partial.write(frameWith({ event_id: eventId() }).subarray(0, 50));
  for (let i = 0; i < 5; i++) await sendFrame(d.socketPath, frameWith({ event_id: eventId() }));
  await d.nextAccepted(5);
  assert.equal(d.rejected.length, 0, 'valid clients served before the silent ones time out');
  const rejections = await d.nextRejected(2);
  assert.deepEqual(
    rejections.map((r) => r.code),
    ['TELEMD_READ_TIMEOUT', 'TELEMD_READ_TIMEOUT'],
  );
  assert.deepEqual(
    rejections.map((r) => r.bytes).sort((a, b) => a - b),
    [0, 50],
  );
  await waitUntil(() => silent.destroyed && partial.destroyed, 'the daemon to close the silent connections');
});

test('1000 concurrent connections are all served', async () => {
  await using d = await startTestDaemon({ record_server_delivery_enabled: false });
  const frames = Array.from({ length: 1000 }, () => frameWith({ event_id: eventId() }));
  // Open all first, then write: 1000 connections are open at the same time. Node's
  // non-blocking connect gets EAGAIN when the listen backlog is momentarily full (a
  // blocking C probe would wait), so open them in batches.
  const connect = (): Promise<net.Socket> =>
    new Promise((resolve, reject) => {
      const s = net.connect(d.socketPath);
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
  const sockets: net.Socket[] = [];
  for (let i = 0; i < frames.length; i += 50) {
    const batch = await Promise.all(
      frames.slice(i, i + 50).map(async () => {
        for (;;) {
          try {
            return await connect();
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
            await new Promise((resolve) => setImmediate(resolve)); // let the daemon accept
          }
        }
      }),
    );
    sockets.push(...batch);
  }
  for (const s of sockets) s.on('error', () => {});
  await waitUntil(() => d.daemon.busy() >= 1000, '1000 open connections at the daemon');
  sockets.forEach((s, i) => {
    s.end(frames[i]!);
  });
  const accepted = await d.nextAccepted(1000, 60_000);
  assert.equal(new Set(accepted.map((r) => r.headers.event_id)).size, 1000);
  assert.equal(d.daemon.counters.shed, 0);
});

test('connections beyond intake_max_connections are shed at accept and logged', async () => {
  await using d = await startTestDaemon({ record_server_delivery_enabled: false, intake_max_connections: 2 });
  const held = [net.connect(d.socketPath), net.connect(d.socketPath)];
  for (const s of held) s.on('error', () => {});
  await waitUntil(() => d.daemon.busy() >= 2, 'two open connections');
  const third = net.connect(d.socketPath);
  third.on('error', () => {});
  await waitUntil(() => d.daemon.counters.shed === 1, 'the third connection to be shed');
  assert.ok(d.logger.lines.some((l) => l.includes('code=TELEMD_SHED')));
  for (const s of held) s.destroy();
  third.destroy();
  await waitUntil(() => d.daemon.busy() === 0, 'the held connections to close');
  await sendFrame(d.socketPath, frameWith({ event_id: eventId() }));
  await d.nextAccepted(1);
});
