// The built telemd as a real process: start, SIGTERM exit 0 without losing
// accepted records, SIGHUP reload, idle exit, systemd socket activation with
// the real systemd-socket-activate, usage and start-up errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { decodeFrame, encodeFrame } from '@telemetrics/libtelemetry/wire';
import { startCollector } from '../helpers/collector.ts';
import { runBin } from '../helpers/run-bin.ts';
import { sendFrame, spawnTelemd, TELEMD_MAIN, tempDir } from '../helpers/telemd.ts';
import { readVector } from '../helpers/vectors.ts';

let seq = 0x2000;
function frame(): { bytes: Buffer; event_id: string } {
  const d = decodeFrame(readVector('socket/v2.3.5-hprobe.bin'));
  assert.ok(d.ok);
  const event_id = (++seq).toString(16).padStart(32, '0');
  return {
    bytes: encodeFrame({ headers: { ...d.value.headers, event_id }, payload: Buffer.from(d.value.payload) }),
    event_id,
  };
}

test('records reach the collector; SIGTERM exits 0 after delivering what was accepted', async () => {
  await using collector = await startCollector();
  await using p = await spawnTelemd({ server: collector.v2Url });
  assert.equal(fs.statSync(p.socketPath).mode & 0o777, 0o666);
  const sent = [frame(), frame(), frame()];
  for (const f of sent) await sendFrame(p.socketPath, f.bytes);
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
  // Every accepted record was delivered before exit.
  assert.deepEqual(collector.records.map((r) => r.event_id).sort(), sent.map((f) => f.event_id).sort());
  assert.match(p.log(), /<5>telemd stopped accepted=3 rejected=0 delivered=3/);
  assert.equal(fs.existsSync(p.socketPath), false, 'the socket file is removed at exit');
});

test('SIGHUP reloads the configuration: a new server applies to the next record', async () => {
  await using first = await startCollector();
  await using second = await startCollector();
  await using p = await spawnTelemd({ server: first.v2Url });
  await sendFrame(p.socketPath, frame().bytes);
  await first.waitForRecords(1);
  p.rewriteConfig({ server: second.v2Url, socket_path: path.join(p.dir, 'other-socket') });
  p.child.kill('SIGHUP');
  await p.waitForLog(/configuration reloaded/);
  assert.match(p.log(), /socket_path changed: the new path takes effect only after a restart/);
  const f = frame();
  await sendFrame(p.socketPath, f.bytes);
  const [record] = await second.waitForRecords(1);
  assert.equal(record!.event_id, f.event_id);
  assert.equal(first.records.length, 1);
});

test('idle exit with daemon_recycling_enabled', async () => {
  await using p = await spawnTelemd({
    daemon_recycling_enabled: true,
    idle_exit_seconds: 1,
    record_server_delivery_enabled: false,
  });
  assert.equal(await p.exited, 0);
  assert.match(p.log(), /idle; exiting/);
});

test('socket activation with the real systemd-socket-activate', async (t) => {
  if (spawnSync('systemd-socket-activate', ['--version']).status !== 0) {
    t.skip('systemd-socket-activate is not installed');
    return;
  }
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const activated = path.join(dir, 'activated.sock');
  await using collector = await startCollector();
  await using p = await spawnTelemd(
    { server: collector.v2Url },
    { wrap: ['systemd-socket-activate', '-l', activated], args: ['-v'], waitReady: false },
  );
  await p.waitForLog(/Listening on .* as 3/);
  // systemd-socket-activate starts telemd on the first connection and hands it fd 3.
  const f = frame();
  await sendFrame(activated, f.bytes);
  const [record] = await collector.waitForRecords(1);
  assert.equal(record!.event_id, f.event_id);
  assert.match(p.log(), /listening on the socket passed by systemd fd=3/);
  assert.match(p.log(), /telemd started .*activated=true/);
  assert.equal(fs.existsSync(p.socketPath), false, 'socket_path is not created when activated');
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
});

test('a missing socket directory fails clearly with exit 1', async () => {
  await using p = await spawnTelemd({ socket_path: '/nonexistent-dir/telem-0' }, { waitReady: false });
  assert.equal(await p.exited, 1);
  assert.match(p.log(), /<3>socket directory \/nonexistent-dir does not exist.* code=TELEMD_SOCKET_DIR/);
});

test('usage: --help, --version, unknown option, bad config file', async () => {
  const help = await runBin(TELEMD_MAIN, ['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--config-file/);
  assert.match(help.stdout, /SIGHUP/);
  const version = await runBin(TELEMD_MAIN, ['-V']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  const bad = await runBin(TELEMD_MAIN, ['--bogus']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /try 'telemd --help'/);
  assert.equal(bad.stderr.split('\n').filter(Boolean).length, 2);
  const level = await runBin(TELEMD_MAIN, ['--log-level', 'loud']);
  assert.equal(level.code, 1);
  const missing = await runBin(TELEMD_MAIN, ['--config_file', '/nonexistent/telemetrics.conf']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^<3>.*not found/m);
});
