// telemctl without systemd, against a temporary root: opt-in, opt-out's
// ownership rules, the messages and exit codes of the service verbs when
// systemd is not PID 1 (spec c-client.md 11.2), and status from a file.
//
// The service verbs against a real systemctl under systemd as PID 1 are in
// systemd-telemctl.test.ts (they replaced tests here that used a logging
// stand-in for systemctl). No systemd runs here, so `systemctl` and
// `systemd-tmpfiles` first on PATH are tripwires that log their argv: every
// test below asserts that telemctl called neither.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runTelemctl } from '../helpers/telemctl.ts';

const isRoot = process.getuid?.() === 0;
const OWNER = 4242;

interface Root {
  readonly dir: string;
  readonly config: string;
  readonly optIn: string;
  readonly log: string;
  readonly env: NodeJS.ProcessEnv;
  run(args: string[]): ReturnType<typeof runTelemctl>;
  calls(): string[];
}

function makeRoot(t: { after(fn: () => void): void }): Root {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telem-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const log = path.join(dir, 'calls.log');
  for (const tool of ['systemctl', 'systemd-tmpfiles']) {
    fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> "${log}"\nexit 1\n`, {
      mode: 0o755,
    });
  }
  fs.mkdirSync(path.join(dir, 'etc'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'etc/passwd'),
    `root:x:0:0::/root:/bin/sh\ntelemetry:x:${OWNER}:${OWNER}::/:/bin/false\n`,
  );
  fs.writeFileSync(path.join(dir, 'etc/group'), `root:x:0:\ntelemetry:x:${OWNER}:\n`);
  fs.mkdirSync(path.join(dir, 'usr/lib/tmpfiles.d'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'usr/lib/tmpfiles.d/telemetrics-dirs.conf'),
    [
      'd /var/lib/telemetry 0755 telemetry telemetry -',
      'd /var/spool/telemetry 0750 telemetry telemetry -',
      'd /var/log/telemetry 0750 telemetry telemetry -',
      'd /var/log/telemetry/records 0750 telemetry telemetry -',
      'd /var/cache/telemetry 0750 root root -',
      '',
    ].join('\n'),
  );
  const optIn = path.join(dir, 'etc/telemetrics/opt-in');
  const config = path.join(dir, 'telemetrics.conf');
  fs.writeFileSync(config, `[settings]\nopt_in_file=${optIn}\n`);
  const env = { PATH: `${bin}:${process.env['PATH'] ?? ''}` };
  return {
    dir,
    config,
    optIn,
    log,
    env,
    run: (args) => runTelemctl(['-f', config, '--root', dir, ...args], { env }),
    calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trimEnd().split('\n') : []),
  };
}

test('opt-in creates the empty 0644 marker, then says it is already there', async (t) => {
  const root = makeRoot(t);
  const first = await root.run(['opt-in']);
  assert.equal(first.code, 0);
  assert.equal(first.stderr, '');
  const st = fs.statSync(root.optIn);
  assert.equal(st.size, 0);
  assert.equal((st.mode & 0o777).toString(8), '644');
  const again = await root.run(['opt-in']);
  assert.equal(again.code, 0);
  assert.equal(again.stderr, 'Already opted in. Nothing to do.\n');
  assert.deepEqual(root.calls(), [], 'opt-in does not start services (C since v2.3.0)');
});

test('opt-in fails with C message when the marker cannot be created', async (t) => {
  const root = makeRoot(t);
  fs.writeFileSync(path.join(root.dir, 'etc/telemetrics'), 'a file, not a directory');
  const r = await root.run(['opt-in']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `Failed to create ${root.optIn}.\n`);
});

test('opt-out without the marker: already opted out, nothing stopped or removed', async (t) => {
  const root = makeRoot(t);
  const r = await root.run(['opt-out']);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, 'Already opted out. Nothing to do.\n');
  assert.deepEqual(root.calls(), []);
});

test('opt-out removes the marker and deletes only dirs owned by telemetry, never via symlinks', {
  skip: !isRoot && 'needs root to chown',
}, async (t) => {
  const root = makeRoot(t);
  fs.mkdirSync(path.dirname(root.optIn), { recursive: true });
  fs.writeFileSync(root.optIn, '');
  const p = (rel: string) => path.join(root.dir, rel);
  // Owned by telemetry: removed with their contents.
  for (const d of ['var/lib/telemetry', 'var/log/telemetry/records']) fs.mkdirSync(p(d), { recursive: true });
  fs.writeFileSync(p('var/lib/telemetry/machine_id'), 'x');
  fs.writeFileSync(p('var/log/telemetry/journal'), 'x');
  // A symlink inside an owned dir pointing outside: removed as a link, its target kept.
  const outside = p('precious');
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'keep'), 'keep');
  fs.symlinkSync(outside, p('var/lib/telemetry/link'));
  for (const d of ['var/lib/telemetry', 'var/log/telemetry', 'var/log/telemetry/records'])
    fs.chownSync(p(d), OWNER, OWNER);
  // Owned by root: refused.
  fs.mkdirSync(p('var/spool/telemetry'), { recursive: true });
  fs.writeFileSync(p('var/spool/telemetry/rec'), 'x');
  // Listed for root:root in tmpfiles: not even considered.
  fs.mkdirSync(p('var/cache/telemetry'), { recursive: true });
  fs.chownSync(p('var/cache/telemetry'), OWNER, OWNER);

  const r = await root.run(['opt-out']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(fs.existsSync(root.optIn), false);
  assert.equal(
    r.stderr,
    'systemd is not running as PID 1: no telemetry units to stop.\n' +
      `Not removing "${p('var/spool/telemetry')}": Incorrect folder owner (expected telemetry:telemetry)\n`,
  );
  assert.equal(fs.existsSync(p('var/lib/telemetry')), false);
  assert.equal(fs.existsSync(p('var/log/telemetry')), false);
  assert.equal(fs.readFileSync(path.join(outside, 'keep'), 'utf8'), 'keep', 'symlink not followed');
  assert.equal(fs.existsSync(p('var/spool/telemetry/rec')), true);
  assert.equal(fs.existsSync(p('var/cache/telemetry')), true);
  assert.deepEqual(root.calls(), [], 'no systemd: nothing to stop');
});

test('opt-out refuses a listed directory that is a symlink', {
  skip: !isRoot && 'needs root to chown',
}, async (t) => {
  const root = makeRoot(t);
  fs.mkdirSync(path.dirname(root.optIn), { recursive: true });
  fs.writeFileSync(root.optIn, '');
  const target = path.join(root.dir, 'target');
  fs.mkdirSync(target);
  fs.chownSync(target, OWNER, OWNER);
  fs.mkdirSync(path.join(root.dir, 'var/lib'), { recursive: true });
  fs.symlinkSync(target, path.join(root.dir, 'var/lib/telemetry'));
  const r = await root.run(['opt-out']);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /Not removing ".*var\/lib\/telemetry": not a directory/);
  assert.equal(fs.existsSync(target), true);
});

test('service verbs without systemd say so and exit 1; C dispatch errors exit 2', async (t) => {
  const root = makeRoot(t);
  fs.mkdirSync(path.dirname(root.optIn), { recursive: true });
  fs.writeFileSync(root.optIn, '');
  const isActive = await root.run(['is-active']);
  assert.equal(isActive.code, 1);
  assert.match(isActive.stderr, /systemd is not running as PID 1/);
  for (const verb of ['start', 'stop', 'restart']) {
    const r = await root.run([verb]);
    assert.equal(r.code, 1, verb);
    assert.match(r.stderr, new RegExp(`cannot ${verb} telemetry services: systemd is not running as PID 1`));
  }
  assert.deepEqual(root.calls(), []);
  const none = await runTelemctl([]);
  assert.equal(none.code, 2);
  assert.match(none.stdout, /^telemctl - Control actions for telemetry services\n\n {2}stop {6}Stops all/);
  const unknown = await runTelemctl(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stdout, /^Unknown command passed to telemctl\n\ntelemctl - Control/);
  const extra = await runTelemctl(['stop', 'now']);
  assert.equal(extra.code, 2);
  const help = await runTelemctl(['--help']);
  assert.equal(help.code, 0);
  const version = await runTelemctl(['--version']);
  assert.match(version.stdout, /^telemctl \d+\.\d+\.\d+\n$/);
});

test('status: "no status yet" without a status file; counters and a live pid with one', async (t) => {
  const root = makeRoot(t);
  const statusFile = path.join(root.dir, 'telemd-status.json');
  const machineId = path.join(root.dir, 'machine_id');
  fs.appendFileSync(root.config, `status_file=${statusFile}\nmachine_id_file=${machineId}\n`);
  const before = await root.run(['status']);
  assert.equal(before.code, 0);
  assert.match(
    before.stdout,
    /^telemd: +unknown \(systemd is not running and there is no usable status file\)$/m,
  );
  assert.match(before.stdout, /^opt-in: +no /m);
  assert.match(before.stdout, /^machine id: +not created yet/m);
  assert.match(before.stdout, /^status: +no status yet/m);
  fs.writeFileSync(machineId, 'a'.repeat(32));
  fs.writeFileSync(
    statusFile,
    JSON.stringify({
      version: 1,
      pid: process.pid, // a pid that surely exists while the test runs
      updatedAt: Date.now(),
      counters: {
        accepted: 5,
        delivered: 4,
        spooled: 1,
        dropped: { spool_full: 1 },
        expired: 0,
        quarantined: 0,
        retried: 2,
        rejected: 0,
      },
      spool: { bytes: 4096, files: 1, maxBytes: 8192 },
      lastDeliveryError: null,
    }),
  );
  const after = await root.run(['status']);
  assert.equal(after.code, 0);
  assert.match(
    after.stdout,
    new RegExp(`^telemd: +running \\(pid ${process.pid}; systemd is not running\\)$`, 'm'),
  );
  assert.match(after.stdout, /^machine id: +\d+ s old/m);
  assert.match(after.stdout, /^spool: +4\.0 KiB in 1 files of 8\.0 KiB \(50%\)$/m);
  assert.match(after.stdout, /dropped=1 \(spool_full=1\)$/m);
  const json = await root.run(['status', '--json']);
  assert.equal(JSON.parse(json.stdout).status.counters.delivered, 4);
});
