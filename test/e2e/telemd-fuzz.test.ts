// Seeded fuzz of telemd's intake over real unix sockets (in-process daemon for
// speed): random bytes and mutated C frames, whole or split across writes.
// Afterwards the daemon must be alive and accept every valid frame.
// Reproduce with TELEM_FC_SEED=<seed> (printed below); TELEM_FUZZ_FRAMES
// overrides the count (default 100 000).
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { decodeFrame, encodeFrame } from '@telemetrics/libtelemetry/wire';
import { sendFrame, startTestDaemon, waitUntil } from '../helpers/telemd.ts';
import { readVector } from '../helpers/vectors.ts';
import { mulberry32 as prng, seedFromEnv } from '../helpers/prng.ts';

const SEED = seedFromEnv();
// biome-ignore lint/suspicious/noUndeclaredEnvVars: a local knob for longer runs, not a build input.
const FRAMES = Number(process.env['TELEM_FUZZ_FRAMES'] ?? 100_000);
const LANES = 32;

const SEEDS = ['hprobe', 'hprobe-cfg', 'heartbeat', 'special', 'special-cfg', 'payload-8187'].map((n) =>
  readVector(`socket/v2.4.3-${n}.bin`),
);

function mutate(rand: () => number): Buffer {
  const int = (n: number): number => Math.floor(rand() * n);
  const kind = int(8);
  if (kind === 0) {
    const len = int(64);
    return Buffer.from(Array.from({ length: len }, () => int(256)));
  }
  const frame = Buffer.from(SEEDS[int(SEEDS.length)]!);
  switch (kind) {
    case 1: // bit flips anywhere
      for (let i = 0, n = 1 + int(4); i < n; i++) frame[int(frame.length)]! ^= 1 << int(8);
      return frame;
    case 2: // truncation
      return frame.subarray(0, int(frame.length));
    case 3: // a wrong record_size
      frame.writeUInt32LE(int(20_000), 0);
      return frame;
    case 4: // a wrong header_size
      frame.writeUInt32LE(
        int(1000),
        frame.subarray(4, 8).toString('latin1') === 'CFG:' ? frame.indexOf(0, 4) + 1 : 4,
      );
      return frame;
    case 5: // a byte inserted into the header block
      {
        const at = 8 + int(400);
        return Buffer.concat([frame.subarray(0, at), Buffer.from([int(256)]), frame.subarray(at)]);
      }
    case 6: // junk appended
      return Buffer.concat([frame, Buffer.alloc(int(300), int(256))]);
    default: // a header byte replaced by a control character or a newline
      frame[8 + int(400)] = [0x0a, 0x00, 0x0d, 0x09, 0x7f][int(5)]!;
      return frame;
  }
}

test(`fuzzed frames never stop telemd (seed ${SEED}, ${FRAMES} frames)`, { timeout: 600_000 }, async () => {
  console.log(`telemd fuzz seed: ${SEED} (TELEM_FC_SEED=${SEED} to reproduce)`);
  let warnings = 0;
  let summaries = 0;
  await using d = await startTestDaemon(
    { record_server_delivery_enabled: false, intake_read_timeout_ms: 5000 },
    {
      logger: {
        log: (level: string, message: string) => {
          if (level === 'warning') warnings++;
          if (message === 'frame rejected (summary)') summaries++;
        },
      },
    },
  );
  const rand = prng(SEED);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < FRAMES) {
      next++;
      const bytes = mutate(rand);
      // Some frames go in two writes, so reassembly paths are fuzzed too.
      if (bytes.length > 1 && rand() < 0.2) {
        const cut = 1 + Math.floor(rand() * (bytes.length - 1));
        await sendFrame(d.socketPath, [bytes.subarray(0, cut), bytes.subarray(cut)]);
      } else {
        await sendFrame(d.socketPath, bytes);
      }
    }
  };
  await Promise.all(Array.from({ length: LANES }, lane));
  // Every connection ended in exactly one outcome, and each was logged and counted.
  await waitUntil(
    () => d.daemon.counters.accepted + d.daemon.counters.rejected === FRAMES,
    'every frame answered',
    30_000,
  );
  const { accepted, rejected, connections } = d.daemon.counters;
  assert.equal(connections, FRAMES);
  assert.ok(rejected > FRAMES / 2, `most fuzzed frames are rejected (${rejected})`);
  // Each rejection is counted; the log says it at most about twice a second (a fuzz run once
  // wrote 4924 warning lines), with the counts in its summary lines (observe/log-budget.ts).
  assert.ok(warnings < rejected / 10, `rejections are rate-limited in the log: ${warnings} warnings`);
  assert.ok(summaries >= 1, 'the rejections beyond the first are summed up');
  console.log(
    `accepted=${accepted} rejected=${rejected} by code=${JSON.stringify([...d.daemon.counters.rejectedByCode])}`,
  );

  // Then: every valid frame is accepted.
  const before = d.daemon.counters.accepted;
  const valid = Array.from({ length: 200 }, (_, i) => {
    const frame = decodeFrame(SEEDS[i % SEEDS.length]!);
    assert.ok(frame.ok);
    const event_id = (0xf000000 + i).toString(16).padStart(32, '0');
    return encodeFrame({ ...frame.value, headers: { ...frame.value.headers, event_id } });
  });
  await Promise.all(valid.map((f) => sendFrame(d.socketPath, f)));
  await waitUntil(
    () => d.daemon.counters.accepted === before + valid.length,
    'the valid frames accepted',
    30_000,
  );
  assert.equal(d.daemon.counters.rejected, rejected);
  // And the socket still takes new connections.
  const probe = net.connect(d.socketPath);
  await new Promise((resolve, reject) => probe.once('connect', resolve).once('error', reject));
  probe.destroy();
});
