// The built telemd as a real process: start, SIGTERM exit 0 without losing
// accepted records, SIGHUP reload, idle exit, systemd socket activation with
// the real systemd-socket-activate, usage and start-up errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { connect as netConnect } from 'node:net';
import type net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { waitUntil } from '../helpers/poll.ts';
import { startCollector } from '../helpers/collector.ts';
import { binPath, runBin } from '../helpers/run-bin.ts';
import { sendFrame, spawnTelemd, TELEMD_MAIN, tempDir } from '../helpers/telemd.ts';
import { hprobeFrame } from '../helpers/vectors.ts';
import { lacks } from '../helpers/need.ts';

let seq = 0x2000;
const frame = () => hprobeFrame(++seq);

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
  assert.match(
    p.log(),
    /<5>telemd stopped accepted=3 rejected=0 shed=0 delivered=3 spooled=0 .* in_spool=0$/m,
  );
  assert.equal(fs.existsSync(p.socketPath), false, 'the socket file is removed at exit');
});

test('SIGTERM during a delivery waits for its answer, then exits 0', async () => {
  // A plain node:http server, because the answer must be held until after SIGTERM
  // (the reference collector can hang a request but never release it).
  let answer: (() => void) | undefined;
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests.push(String(req.headers.event_id));
      answer = () => res.writeHead(201).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  try {
    await using p = await spawnTelemd({ server: `http://127.0.0.1:${port}/v2/collector` });
    const f = frame();
    await sendFrame(p.socketPath, f.bytes);
    await waitUntil(() => answer !== undefined, 'a request to reach the server', 10_000, 10);
    p.child.kill('SIGTERM');
    await p.waitForLog(/stopping reason=SIGTERM/);
    assert.equal(p.child.exitCode, null, 'still running while the delivery is in flight');
    answer?.(); // set: waitUntil above saw it
    assert.equal(await p.exited, 0);
    assert.deepEqual(requests, [f.event_id]);
    assert.match(
      p.log(),
      /telemd stopped accepted=1 rejected=0 shed=0 delivered=1 spooled=0 .* in_spool=0$/m,
    );
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('SIGHUP reloads the configuration: a new server applies to the next record', async () => {
  await using first = await startCollector();
  await using second = await startCollector();
  await using p = await spawnTelemd({ server: first.v2Url });
  await sendFrame(p.socketPath, frame().bytes);
  await first.waitForRecords(1);
  p.rewriteConfig({ server: second.v2Url, socket_path: path.join(p.dir, 'other-socket') });
  p.child.kill('SIGHUP');
  // The daemon logs this once the new configuration is in place (intake uses it from then on).
  await p.waitForLog(/configuration reloaded changed=server,socket_path$/);
  // A line of its own, written after that one: wait for it too (asserting on log() at this
  // instant failed under load, when telemd was descheduled between the two writes).
  await p.waitForLog(/<4>socket_path changed: the new path takes effect only after a restart/);
  const f = frame();
  await sendFrame(p.socketPath, f.bytes);
  const [record] = await second.waitForRecords(1);
  assert.equal(record!.event_id, f.event_id);
  assert.equal(first.records.length, 1);
  // A config that no longer parses is logged; the running one is kept.
  fs.writeFileSync(p.configFile, '[settings]\nintake_max_connections=0\n');
  p.child.kill('SIGHUP');
  await p.waitForLog(/<3>reload failed; keeping the current configuration/);
  await sendFrame(p.socketPath, frame().bytes);
  await second.waitForRecords(2);
});

test('a SIGHUP while telemd is starting is a reload once it runs, not its death', async () => {
  await using collector = await startCollector();
  await using p = await spawnTelemd({ server: collector.v2Url }, { waitReady: false });
  // The config is read first; the daemon (machine id, spool, socket) is started after that.
  await p.waitForLog(/^<6>configuration loaded /);
  p.child.kill('SIGHUP');
  await p.waitForLog(/^<5>telemd started /);
  await p.waitForLog(/^<5>configuration reloaded changed=none$/);
  assert.equal(p.child.exitCode, null, 'still running');
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
});

test('a SIGTERM while telemd is starting stops it cleanly once it runs, serving what it accepted', async () => {
  await using collector = await startCollector();
  await using p = await spawnTelemd({ server: collector.v2Url }, { waitReady: false });
  // The socket listens before the daemon is loaded (the two-stage start): connect, send, and
  // ask telemd to stop while it is still loading the rest.
  await p.waitForLog(/^<6>listening /);
  const client = netConnect(p.socketPath);
  client.on('error', () => {});
  await new Promise<void>((resolve) => client.end(frame().bytes, () => resolve()));
  // Without waiting for telemd to read it: the record is queued while the daemon still loads.
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0, p.log());
  const log = p.log();
  assert.ok(log.indexOf('telemd started') < log.indexOf('stopping reason=SIGTERM'), log);
  assert.match(log, /<5>telemd stopped accepted=1 /);
  // accepted means delivered or spooled, never dropped: the collector is up, so delivered
  await collector.waitForRecords(1);
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

// The socket systemd-socket-activate hands over follows its umask (0644 or 0755), and
// connect() needs write permission: telemd makes it 0666, as telemd.socket's SocketMode=0666
// and telemd's own socket are, so probes of every local user can connect.
test('socket activation with the real systemd-socket-activate; the handed socket becomes 0666', async (t) => {
  if (
    lacks(
      t,
      spawnSync('systemd-socket-activate', ['--version']).status !== 0 &&
        'systemd-socket-activate is not installed',
    )
  )
    return;
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
  // telemd changes the mode just after it starts listening, off its start-up path.
  await waitUntil(() => (fs.statSync(activated).mode & 0o777) === 0o666, 'the socket mode 0666', 10_000, 50);
  assert.equal((fs.statSync(activated).mode & 0o777).toString(8), '666');
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
  assert.match(version.stdout, /^telemd \d+\.\d+\.\d+\n$/);
  const bad = await runBin(TELEMD_MAIN, ['--bogus']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Try 'telemd --help'/);
  assert.equal(bad.stderr.split('\n').filter(Boolean).length, 2);
  const level = await runBin(TELEMD_MAIN, ['--log-level', 'loud']);
  assert.equal(level.code, 1);
  const missing = await runBin(TELEMD_MAIN, ['--config_file', '/nonexistent/telemetrics.conf']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^<3>.*not found/m);
});

const RECORD_GEN = binPath('packages/libtelemetry/dist/bin/telem-record-gen.mjs');
const HPROBE = binPath('packages/hprobe/dist/hprobe.mjs');

for (const api of ['v2', 'v3'] as const) {
  test(`telem-record-gen and hprobe -> telemd -> collector (${api}): every header and the exact payload`, async () => {
    await using collector = await startCollector();
    await using p = await spawnTelemd({ server: api === 'v2' ? collector.v2Url : collector.v3Url });
    fs.writeFileSync(path.join(p.dir, 'opt-in'), '');
    const payload = 'two words\tand a tab\nsecond line';
    // -f also sends CFG:<file>: a root-owned override naming the same collector.
    const gen = await runBin(RECORD_GEN, [
      '-c',
      'org.example/e2e/with space',
      '-s',
      '3',
      '-R',
      '2',
      '-e',
      '00000000000000000000000000e2e0' + (api === 'v2' ? '02' : '03'),
      '-p',
      payload,
      '-o',
      '-f',
      p.configFile,
    ]);
    assert.equal(gen.code, 0, gen.stderr);
    const [record] = await collector.waitForRecords(1);
    const sentLines = gen.stdout.split('\n').slice(0, 15);
    const sent = Object.fromEntries(
      sentLines.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
    );
    const machineId = fs.readFileSync(path.join(p.dir, 'machine_id'), 'latin1');
    const r = record!;
    assert.equal(r.classification, sent.classification);
    assert.equal(r.severity, 3);
    assert.equal(r.machine_id, machineId);
    assert.equal(r.timestamp_client, Number(sent.creation_timestamp));
    assert.equal(r.arch, sent.arch);
    assert.equal(r.machine_type, sent.host_type);
    assert.equal(r.build, sent.build!.replaceAll('"', ''));
    assert.equal(r.kernel_version, sent.kernel_version);
    assert.equal(r.payload_version, 2);
    assert.equal(r.system_name, sent.system_name);
    assert.equal(r.board_name, sent.board_name);
    assert.equal(r.cpu_model, sent.cpu_model);
    assert.equal(r.bios_version, sent.bios_version);
    assert.equal(r.event_id, sent.event_id);
    assert.equal(r.payload, payload);
    const request = r.request;
    if (api === 'v2') {
      const names = request.rawHeaders.map(([n]) => n);
      assert.deepEqual(
        names.filter((n) => /^[a-z_]+$/.test(n) && n !== 'host' && n !== 'connection'),
        sentLines.map((l) => l.slice(0, l.indexOf(':'))),
      );
      assert.ok(request.rawHeaders.some(([n, v]) => n === 'Content-Type' && v === 'application/text'));
    } else {
      assert.deepEqual(Object.keys(JSON.parse(request.body.toString('latin1'))), [
        ...sentLines.map((l) => l.slice(0, l.indexOf(':'))),
        'payload',
      ]);
    }

    const hprobe = await runBin(HPROBE, ['-f', p.configFile]);
    assert.equal(hprobe.code, 0, hprobe.stderr);
    const [, hello] = await collector.waitForRecords(2);
    assert.equal(hello!.classification, 'org.clearlinux/hello/world');
    assert.equal(hello!.payload, 'hello\n');
    assert.equal(hello!.machine_id, machineId);
  });
}
