// Every refusal reaches the probe's SDK with its own code (wire/ack.ts,
// docs/intake.md), against the built telemd: a full spool, a full disk (a
// real tmpfs too small for the spool), the `drop` rate-limit strategy, a
// shed connection; and idle connections cannot lock a probe out. A C-style
// probe, which writes and closes without reading, is still served.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { createRecord, sendRecord, type TelemetryRecord } from '@telemetrics/libtelemetry';
import { encodeFrame } from '@telemetrics/libtelemetry/wire';
import { refusedUrl } from '../../bench/harness/refused-url.ts';
import { startCollector } from '../helpers/collector.ts';
import { CAPTURE_MACHINE_FACTS } from '../helpers/fake-machine.ts';
import { smallTmpfs } from '../helpers/spool.ts';
import { type SpawnedTelemd, spawnTelemd, waitUntil } from '../helpers/telemd.ts';

let seq = 0;
function probeRecord(payloadBytes = 40): TelemetryRecord {
  return createRecord({
    severity: 2,
    classification: 'org.example/intake/refusal',
    eventId: (++seq).toString(16).padStart(32, '0'),
    payload: 'x'.repeat(payloadBytes),
    facts: CAPTURE_MACHINE_FACTS,
    now: Date.now(),
    random: (n) => Buffer.alloc(n, 7),
  });
}

function optIn(telemd: SpawnedTelemd): string {
  const file = path.join(telemd.dir, 'opt-in');
  fs.writeFileSync(file, '');
  return file;
}

/** Sends `n` records one after the other; the outcome of each: 'ok' or the error code. */
async function sendMany(telemd: SpawnedTelemd, n: number, payloadBytes?: number): Promise<string[]> {
  const optInFile = optIn(telemd);
  const outcomes: string[] = [];
  for (let i = 0; i < n; i++) {
    try {
      await sendRecord(probeRecord(payloadBytes), {
        socketPath: telemd.socketPath,
        optInFile,
        timeoutMs: 20_000,
      });
      outcomes.push('ok');
    } catch (error) {
      outcomes.push((error as { code?: string }).code ?? String(error));
    }
  }
  return outcomes;
}

test('a full spool is refused to the probe: TELEM_SPOOL_FULL', async () => {
  await using telemd = await spawnTelemd({ server: await refusedUrl(), spool_max_size: 2 });
  const outcomes = await sendMany(telemd, 12, 200);
  assert.equal(outcomes[0], 'ok');
  assert.ok(outcomes.includes('TELEM_SPOOL_FULL'), outcomes.join(' '));
  assert.deepEqual(new Set(outcomes), new Set(['ok', 'TELEM_SPOOL_FULL']));
});

test('a full disk is refused to the probe: TELEM_DISK_FULL (real ENOSPC on a small tmpfs)', async (t) => {
  const parent = fs.mkdtempSync(path.join('/var/tmp', 'telem-enospc-'));
  t.after(() => fs.rmSync(parent, { recursive: true, force: true }));
  using mnt = smallTmpfs(t, parent, '64k');
  if (!mnt) return;
  await using telemd = await spawnTelemd({
    server: await refusedUrl(),
    spool_dir: path.join(mnt.dir, 'spool'),
    spool_max_size: -1,
  });
  // tmpfs gives each file a page: 64 KiB hold at most 16 records.
  const outcomes = await sendMany(telemd, 40, 2000);
  assert.equal(outcomes[0], 'ok');
  assert.ok(outcomes.includes('TELEM_DISK_FULL'), outcomes.join(' '));
  assert.deepEqual(new Set(outcomes), new Set(['ok', 'TELEM_DISK_FULL']));
});

test('rate_limit_strategy=drop over the limit is refused to the probe: TELEM_RATE_LIMITED', async () => {
  await using collector = await startCollector();
  await using telemd = await spawnTelemd({
    server: collector.v2Url,
    rate_limit_enabled: true,
    rate_limit_strategy: 'drop',
    record_burst_limit: 3,
    record_window_length: 5,
  });
  const outcomes = await sendMany(telemd, 6);
  assert.deepEqual(outcomes, [
    'ok',
    'ok',
    'ok',
    'TELEM_RATE_LIMITED',
    'TELEM_RATE_LIMITED',
    'TELEM_RATE_LIMITED',
  ]);
  await collector.waitForRecords(3);
});

/** Opens `n` connections to `socketPath` (retrying a full backlog); optionally writes `first`. */
async function openConnections(socketPath: string, n: number, first?: Uint8Array): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  while (sockets.length < n) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, n - sockets.length) }, () => {
        return new Promise<net.Socket | undefined>((resolve) => {
          const s = net.connect(socketPath);
          s.once('connect', () => {
            s.on('error', () => {});
            if (first) s.write(first);
            resolve(s);
          });
          s.once('error', () => resolve(undefined)); // EAGAIN: the backlog is full for a moment
        });
      }),
    );
    for (const s of batch) if (s) sockets.push(s);
  }
  return sockets;
}

test('2000 idle connections cannot lock a probe out: the oldest idle ones are shed, counted', async () => {
  await using telemd = await spawnTelemd({
    record_server_delivery_enabled: false,
    intake_max_connections: 500,
  });
  const idle = await openConnections(telemd.socketPath, 2000);
  try {
    // Connections silent for less than a second are not shed (a C probe's frame may be waiting
    // unread): until the idle ones are that old a probe may be refused with TELEM_SHED. Then
    // every send gets through.
    const outcomes: string[] = [];
    const deadline = performance.now() + 30_000;
    while (outcomes.filter((o) => o === 'ok').length < 3 && performance.now() < deadline) {
      outcomes.push(...(await sendMany(telemd, 1)));
    }
    assert.deepEqual(outcomes.slice(-3), ['ok', 'ok', 'ok'], 'valid records got through');
    assert.deepEqual(
      new Set(outcomes.filter((o) => o !== 'ok')),
      new Set(outcomes.includes('TELEM_SHED') ? ['TELEM_SHED'] : []),
    );
    // The shed ones were told why and closed; the log lines count them all (summed each second).
    const shed = await waitForShedCount(telemd, 1500);
    assert.ok(shed >= 1500, `shed count in the log: ${shed}`);
  } finally {
    for (const s of idle) s.destroy();
  }
});

async function waitForShedCount(telemd: SpawnedTelemd, atLeast: number): Promise<number> {
  const count = (): number =>
    [...telemd.log().matchAll(/too many open connections[^\n]* shed=(\d+)/g)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
  await waitUntil(() => count() >= atLeast, `the shed lines to count ${atLeast}`, 30_000);
  return count();
}

test('when every slot is sending, a new connection is refused to the probe: TELEM_SHED', async () => {
  await using telemd = await spawnTelemd({
    record_server_delivery_enabled: false,
    intake_max_connections: 3,
  });
  // Three connections that have sent part of a frame: busy, not idle, so not shed. Nothing tells
  // from outside when telemd has read their byte; if it had not yet, one of them is shed in the
  // probe's place (it sees NO TELEM_SHED) and the round is tried again.
  const outcomes: string[] = [];
  for (let round = 0; round < 10 && !outcomes.includes('TELEM_SHED'); round++) {
    const busy = await openConnections(telemd.socketPath, 3, new Uint8Array([0xff]));
    const replies = busy.map((s) => {
      let text = '';
      s.setEncoding('latin1').on('data', (d: string) => {
        text += d;
      });
      return () => text;
    });
    await waitUntil(() => replies.every((r) => r().startsWith('TELEMD/1\n')), 'the greetings');
    try {
      outcomes.push(...(await sendMany(telemd, 1)));
    } finally {
      for (const s of busy) s.destroy();
    }
  }
  assert.ok(outcomes.includes('TELEM_SHED'), outcomes.join(' '));
});

const C_PROBE = `
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
/* usage: c-probe SOCKET FRAMEFILE N -- N times: connect, write the frame, close; never read. */
int main(int argc, char **argv) {
  FILE *f = fopen(argv[2], "rb");
  static unsigned char buf[65536];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  int count = atoi(argv[3]);
  for (int i = 0; i < count; i++) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); return 1; }
    if (write(fd, buf, n) != (ssize_t)n) { perror("write"); return 1; }
    close(fd);
  }
  return 0;
}
`;

test('a C-style probe (write and close, never read) is still served, 1500 times in a burst', async (t) => {
  // More connections than slots arrive before telemd reads any: none may be shed as idle.
  await using telemd = await spawnTelemd({ server: await refusedUrl(), intake_max_connections: 256 });
  const src = path.join(telemd.dir, 'c-probe.c');
  const exe = path.join(telemd.dir, 'c-probe');
  fs.writeFileSync(src, C_PROBE);
  try {
    execFileSync('gcc', ['-O2', '-o', exe, src], { stdio: 'pipe' });
  } catch (error) {
    if (process.env.CI === 'true') throw error;
    t.skip(`no C compiler: ${(error as Error).message}`);
    return;
  }
  const record = probeRecord();
  const frameFile = path.join(telemd.dir, 'frame.bin');
  fs.writeFileSync(frameFile, encodeFrame({ headers: record.headers, payload: record.payload }));
  const child = execFileSync(exe, [telemd.socketPath, frameFile, '1500'], { stdio: 'pipe' });
  assert.equal(child.length, 0);
  const spoolDir = path.join(telemd.dir, 'spool');
  await waitUntil(
    () => fs.readdirSync(spoolDir).filter((n) => !n.startsWith('.')).length === 1500,
    'all 1500 records spooled',
    30_000,
  );
  assert.doesNotMatch(telemd.log(), /frame rejected|TELEMD_SHED/);
});

test('a plain net client that half-closes and waits is answered OK, and reads only the reply', async () => {
  await using telemd = await spawnTelemd({ record_server_delivery_enabled: false });
  const record = probeRecord();
  const s = net.connect(telemd.socketPath);
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  await once(s, 'connect');
  s.end(encodeFrame({ headers: record.headers, payload: record.payload }));
  await once(s, 'close');
  assert.equal(Buffer.concat(chunks).toString('latin1'), 'TELEMD/1\nOK\n');
});
