// The SystemCallFilter= of the shipped units against real node processes:
// systemd/sandbox/check-syscall-filter.mjs runs a command under strace with
// every refused syscall failing with EPERM (as SystemCallErrorNumber=EPERM
// does under systemd) and reports the refused calls it made: strace's fault
// injection names each refused call that node makes, which the real seccomp
// filter would only turn into an EPERM somewhere. The list of refused calls
// comes from systemd-analyze. The units' sandboxes under systemd as PID 1 are
// checked in systemd-confinement.test.ts.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startCollector } from '../helpers/collector.ts';
import { lacks } from '../helpers/need.ts';
import { deadline, makeTelemdWorkdir, sendFrame } from '../helpers/telemd-workdir.ts';
import { readVector } from '../helpers/vectors.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const CHECK = path.join(REPO, 'systemd/sandbox/check-syscall-filter.mjs');
const WORKLOAD = path.join(REPO, 'systemd/sandbox/node-workload.mjs');
const NODE = process.execPath;
// Refused by the units on purpose (attack surface); libuv falls back to epoll.
const TOLERATE = ['--tolerate', 'io_uring_setup,io_uring_enter,io_uring_register'];

function unavailable(): string | null {
  if (spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status !== 0) {
    return 'systemd-analyze is not installed';
  }
  const strace = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', 'true'], { stdio: 'ignore' });
  if (strace.status !== 0) return 'strace is not installed or cannot trace here (ptrace refused)';
  return null;
}

function refusedCalls(stdout: string): string {
  const m = /^refused by the filter and called: (.*)$/m.exec(stdout);
  assert.ok(m, stdout);
  return m[1]!;
}

for (const unit of ['telemd.service', 'hprobe.service']) {
  test(`node doing telemd's kinds of I/O makes no call that ${unit} refuses`, (t) => {
    const why = unavailable();
    if (lacks(t, why)) return;
    const r = spawnSync(
      NODE,
      [CHECK, ...TOLERATE, path.join(REPO, 'systemd/system', `${unit}.in`), '--', NODE, WORKLOAD],
      {
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    for (const line of r.stdout.split('\n'))
      if (line.startsWith('syscalls used') || line.startsWith('refused on purpose')) t.diagnostic(line);
    assert.match(r.stdout, /^workload ok$/m, r.stderr);
    assert.equal(refusedCalls(r.stdout), 'none');
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
}

test('the checker does catch a refused call (nice calls setpriority, in @resources)', (t) => {
  const why = unavailable();
  if (lacks(t, why)) return;
  const r = spawnSync(
    NODE,
    [
      CHECK,
      ...TOLERATE,
      path.join(REPO, 'systemd/system/telemd.service.in'),
      '--',
      'nice',
      '-n',
      '1',
      'true',
    ],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  assert.equal(refusedCalls(r.stdout), 'setpriority');
  assert.equal(r.status, 1);
});

test('telemd itself, receiving and delivering a record, makes no call that telemd.service refuses', async (t) => {
  const why = unavailable();
  if (lacks(t, why)) return;
  const main = path.join(REPO, 'packages/telemd/dist/telemd.mjs');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'telem-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  await using collector = await startCollector();
  // Not socket-activated here, so the idle clock runs from start until the
  // test connects: 5 s, not 1, so that a slow start under strace on a busy
  // machine cannot idle out before the probe arrives.
  const { conf, socketPath } = makeTelemdWorkdir(tmp, collector.v2Url, { idleExitSeconds: 5 });
  let out = '';
  const child = spawn(
    NODE,
    [CHECK, ...TOLERATE, path.join(REPO, 'systemd/system/telemd.service.in'), '--', NODE, main, '-f', conf],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  t.after(() => {
    if (child.exitCode === null) child.kill();
  });
  const exited = once(child, 'exit');
  // telemd binds socket_path itself here (no socket activation under strace)
  // and logs once it listens.
  const started = Date.now();
  while (!out.includes(`listening path=${socketPath}`)) {
    assert.ok(Date.now() - started < 60_000, `telemd did not listen on ${socketPath}:\n${out}`);
    assert.equal(child.exitCode, null, `telemd exited before listening:\n${out}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await sendFrame(socketPath, readVector('socket/v2.3.5-heartbeat.bin'));
  // Generous: every syscall of telemd stops in strace, and CI may be busy.
  await collector.waitForRecords(1, { timeoutMs: 180_000 }).catch((err: Error) => {
    throw new Error(`${err.message}\n${out}`);
  });
  await deadline(exited, 90_000, `telemd exits when idle\n${out}`);
  for (const line of out.split('\n')) {
    if (line.startsWith('syscalls used') || line.startsWith('refused on purpose')) t.diagnostic(line);
  }
  assert.equal(refusedCalls(out), 'none', out);
});

// --- the file system and identity part of the sandbox -------------------------

const CONFINE = path.join(REPO, 'systemd/sandbox/run-confined.sh');

function cannotConfine(): string | null {
  if (process.getuid?.() !== 0) return 'run-confined.sh needs root (mount namespace, setpriv)';
  for (const tool of ['unshare', 'setpriv', 'systemd-socket-activate']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) return `${tool} is not installed`;
  }
  const probe = spawnSync(CONFINE, ['/', '--', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) return `no private mount namespace here: ${probe.stderr.trim()}`;
  return null;
}

test('run-confined.sh leaves only the given directories writable, as uid 65534 without capabilities', (t) => {
  const why = cannotConfine();
  if (lacks(t, why)) return;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'telem-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  // mkdtemp makes 0700 directories: uid 65534 must be able to reach inside.
  fs.chmodSync(tmp, 0o755);
  const rw = path.join(tmp, 'rw');
  fs.mkdirSync(rw);
  fs.chownSync(rw, 65534, 65534);
  const script = `touch ${rw}/yes; touch ${tmp}/no || true; id -u; grep -E '^(CapEff|CapBnd|NoNewPrivs):' /proc/self/status`;
  const r = spawnSync(CONFINE, [rw, '--', 'sh', '-c', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(fs.existsSync(path.join(rw, 'yes')));
  assert.equal(fs.existsSync(path.join(tmp, 'no')), false);
  assert.match(r.stderr, /Read-only file system/);
  assert.match(r.stdout, /^65534$/m);
  assert.match(r.stdout, /^CapEff:\s+0+$/m);
  assert.match(r.stdout, /^CapBnd:\s+0+$/m);
  assert.match(r.stdout, /^NoNewPrivs:\s+1$/m);
});

test('telemd, socket-activated inside run-confined.sh, delivers and exits when idle', async (t) => {
  const why = cannotConfine();
  if (lacks(t, why)) return;
  const main = path.join(REPO, 'packages/telemd/dist/telemd.mjs');
  await using collector = await startCollector();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'telem-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  fs.chmodSync(tmp, 0o755);
  // The three trees of ReadWritePaths=, owned by the service user (tmpfiles).
  const { conf, socketPath, writable: rw } = makeTelemdWorkdir(tmp, collector.v2Url, { owner: 65534 });
  let log = '';
  const child = spawn(
    'systemd-socket-activate',
    ['-l', socketPath, CONFINE, ...rw, '--', NODE, main, '-f', conf],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
  const exited = once(child, 'exit');
  const listening = new Promise<void>((resolve) => {
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      log += s;
      if (log.includes('Listening on')) resolve();
    });
  });
  await deadline(listening, 20_000, 'systemd-socket-activate listening');
  await sendFrame(socketPath, readVector('socket/v2.3.5-heartbeat.bin'));
  const records = await collector.waitForRecords(1, { timeoutMs: 60_000 }).catch((err: Error) => {
    throw new Error(`${err.message}\n${log}`);
  });
  assert.equal(records[0]!.classification, 'org.clearlinux/heartbeat/ping');
  const [code] = await deadline(exited, 120_000, `telemd exits when idle\n${log}`);
  assert.equal(code, 0, log);
  // It ran as the service user: what it wrote belongs to 65534.
  assert.equal(fs.statSync(path.join(rw[1]!, 'machine_id')).uid, 65534);
});
