// The crash directory through a real in-process telemd: reports kept there
// before it started, and written while it runs, are admitted and removed;
// what is not a frame, or not a regular file, is set aside.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isCrashFileName, writeCrashFileSync } from '@telemetrics/libtelemetry/internal/crash-dir';
import { encodeFrame } from '@telemetrics/libtelemetry/wire';
import { crashRecord } from '../helpers/crash-record.ts';
import { startTestDaemon, waitUntil } from '../helpers/telemd.ts';

const base = mkdtempSync(join(tmpdir(), 'crash-drain-'));
after(() => rmSync(base, { recursive: true, force: true }));
let seq = 0;

function crashFrame(message: string): { eventId: string; frame: Buffer } {
  const record = crashRecord({
    payload: JSON.stringify({ error: { message } }),
    now: Date.now(),
    fill: seq++,
  });
  return { eventId: record.headers.event_id, frame: encodeFrame(record) };
}

test('reports waiting in crash_dir are admitted at start-up and removed; bad files are set aside', async () => {
  const dir = join(base, 'startup');
  mkdirSync(dir);
  const a = crashFrame('first');
  const b = crashFrame('second');
  writeCrashFileSync(dir, a.eventId, a.frame);
  writeCrashFileSync(dir, b.eventId, b.frame);
  writeFileSync(join(dir, `${'c'.repeat(32)}.frame`), 'not a frame');
  const secret = join(base, 'secret');
  writeFileSync(secret, crashFrame('via symlink').frame);
  symlinkSync(secret, join(dir, `${'d'.repeat(32)}.frame`));
  writeFileSync(join(dir, 'README'), 'not ours: left alone');
  await using d = await startTestDaemon({ crash_dir: dir, record_server_delivery_enabled: false });
  const accepted = await d.nextAccepted(2);
  assert.deepEqual(accepted.map((r) => r.headers.event_id).sort(), [a.eventId, b.eventId].sort());
  // machine_id is the daemon's, as for a socket frame.
  assert.equal(accepted[0]!.headers.machine_id, d.daemon.machineId);
  await waitUntil(() => !readdirSync(dir).some(isCrashFileName), 'drained dir');
  assert.deepEqual(readdirSync(dir).sort(), [
    `.bad-${'c'.repeat(32)}.frame`,
    `.bad-${'d'.repeat(32)}.frame`,
    'README',
  ]);
  assert.equal(d.accepted.length, 2);
  assert.ok(existsSync(secret));
});

test('a report written while telemd runs is taken without a restart', async () => {
  const dir = join(base, 'live');
  mkdirSync(dir);
  await using d = await startTestDaemon({ crash_dir: dir, record_server_delivery_enabled: false });
  const c = crashFrame('later');
  writeCrashFileSync(dir, c.eventId, c.frame);
  const [record] = await d.nextAccepted(1);
  assert.equal(record!.headers.event_id, c.eventId);
  await waitUntil(() => readdirSync(dir).length === 0, 'drained dir');
});

test('no crash directory: telemd starts all the same', async () => {
  await using d = await startTestDaemon({ crash_dir: join(base, 'missing') });
  assert.ok(d.daemon.socketPath);
});
