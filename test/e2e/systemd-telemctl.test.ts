// Every telemctl verb against the real systemctl, under systemd as PID 1 (a
// systemd-nspawn container, test/helpers/nspawn.ts). These replace the tests
// that ran telemctl against a logging stand-in for systemctl
// (telemctl-services.test.ts keeps the cases that need no systemd: messages
// without systemd, opt-out's ownership rules under --root, status from a file).
//
// The tests run in order and share one container: opt-in, start, is-active,
// a record, journal, status, restart, stop (and a failing stop), opt-out.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { type Container, unitProperty, waitInside } from '../helpers/nspawn.ts';
import { systemdSuite } from '../helpers/systemd-suite.ts';

const ALL_UNITS = ['hprobe.timer', 'telemd.socket', 'telemd.path', 'hprobe.service', 'telemd.service'];
const suite = systemdSuite({ settings: (collector) => ({ server: collector.v2Url, idle_exit_seconds: 2 }) });

function need(t: { skip(m?: string): void }): Container | undefined {
  return suite(t)?.ct;
}

async function states(c: Container, units: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const u of units) out[u] = await unitProperty(c, u, 'ActiveState');
  return out;
}

const each = (units: readonly string[], state: string): Record<string, string> =>
  Object.fromEntries(units.map((u) => [u, state]));

test('systemd as PID 1: telemctl start refuses before opt-in; opt-in, then start runs tmpfiles and starts the units', async (t) => {
  const c = need(t);
  if (!c) return;
  const refused = await c.run(['telemctl', 'start']);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, 'Opt in to telemetry first.\n');
  assert.deepEqual(await states(c, ['telemd.socket']), { 'telemd.socket': 'inactive' });

  const optIn = await c.run(['telemctl', 'opt-in']);
  assert.equal(optIn.code, 0, optIn.stderr);
  assert.ok(fs.existsSync(c.hostPath('/etc/telemetrics/opt-in')));
  // start re-creates the work directories (systemd-tmpfiles) before the units.
  await c.sh('rm -rf /var/lib/telemetry');
  const start = await c.run(['telemctl', 'start']);
  assert.equal(start.code, 0, start.stderr);
  assert.deepEqual(await states(c, ['hprobe.timer', 'telemd.socket', 'telemd.path']), {
    'hprobe.timer': 'active',
    'telemd.socket': 'active',
    'telemd.path': 'active',
  });
  assert.equal((await c.sh('stat -c %U:%G /var/lib/telemetry')).trim(), 'telemetry:telemetry');
});

test('systemd as PID 1: telemctl is-active reports the real states, 0 when active and 3 when not, also without root', async (t) => {
  const c = need(t);
  if (!c) return;
  const up = await c.run(['telemctl', 'is-active']);
  assert.equal(up.stdout, 'telemd.socket : active\ntelemd.path : active\n');
  assert.equal(up.code, 0);
  const nobody = await c.run([
    'setpriv',
    '--reuid=nobody',
    '--regid=nogroup',
    '--clear-groups',
    'telemctl',
    'is-active',
  ]);
  assert.equal(nobody.stdout, up.stdout, nobody.stderr);
  await c.sh('systemctl stop telemd.path');
  const down = await c.run(['telemctl', 'is-active']);
  assert.equal(down.stdout, 'telemd.socket : active\ntelemd.path : inactive\n');
  assert.equal(down.code, 3);
  await c.sh('systemctl start telemd.path');
});

test('systemd as PID 1: telemctl journal and status show a record delivered by the activated telemd', async (t) => {
  const env = suite(t);
  if (!env) return;
  const { ct: c, collector } = env;
  const before = collector.records.length;
  await c.sh('telem-record-gen -c org.example/nspawn/journal -p journal -e 0123456789abcdef0123456789abcdef');
  await collector.waitForRecords(before + 1, { timeoutMs: 60_000 });
  // telemd writes its journal line after the collector's answer: wait for it.
  await waitInside(c, 'telemctl journal -e 0123456789abcdef0123456789abcdef | grep -q .');
  const journal = await c.run(['telemctl', 'journal', '-V', '-c', 'org.example/nspawn/journal']);
  assert.equal(journal.code, 0, journal.stderr);
  assert.match(journal.stdout, /^org\.example\/nspawn\/journal .* 0123456789abcdef0123456789abcdef /m);
  assert.match(journal.stdout, /Total records: 1/);
  const status = await c.run(['telemctl', 'status']);
  assert.equal(status.code, 0, status.stderr);
  // The daemon line comes from the real systemctl is-active of both units.
  assert.match(
    status.stdout,
    /^telemd: +active \(telemd\.service: (active|inactive), telemd\.socket: active\)$/m,
  );
  assert.match(status.stdout, /^opt-in: +yes/m);
});

test('systemd as PID 1: telemctl restart stops and starts the units again', async (t) => {
  const c = need(t);
  if (!c) return;
  const before = await unitProperty(c, 'telemd.socket', 'InvocationID');
  const r = await c.run(['telemctl', 'restart']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    await states(c, ['hprobe.timer', 'telemd.socket', 'telemd.path']),
    each(['hprobe.timer', 'telemd.socket', 'telemd.path'], 'active'),
  );
  assert.notEqual(
    await unitProperty(c, 'telemd.socket', 'InvocationID'),
    before,
    'a new socket unit invocation',
  );
});

test('systemd as PID 1: telemctl stop reports a unit systemctl cannot stop, stops the others, exits 1; restart then starts nothing', async (t) => {
  const c = need(t);
  if (!c) return;
  // A real failure: an inactive unit whose file is gone is "not loaded" for systemctl stop.
  await c.sh(
    'systemctl stop telemd.path && mv /usr/lib/systemd/system/telemd.path /root/telemd.path && systemctl daemon-reload',
  );
  try {
    const stop = await c.run(['telemctl', 'stop']);
    assert.equal(stop.code, 1);
    assert.match(
      stop.stderr,
      /telemd\.path not loaded\.?\nFailed to stop telemd\.path\. Continuing\.\.\.\n$/,
    );
    assert.deepEqual(
      await states(c, ['hprobe.timer', 'telemd.socket', 'hprobe.service', 'telemd.service']),
      each(['hprobe.timer', 'telemd.socket', 'hprobe.service', 'telemd.service'], 'inactive'),
    );
    const restart = await c.run(['telemctl', 'restart']);
    assert.equal(restart.code, 1);
    assert.equal(
      await unitProperty(c, 'telemd.socket', 'ActiveState'),
      'inactive',
      'nothing started after a failed stop',
    );
  } finally {
    await c.sh('mv /root/telemd.path /usr/lib/systemd/system/telemd.path && systemctl daemon-reload');
  }
  const start = await c.run(['telemctl', 'start']);
  assert.equal(start.code, 0, start.stderr);
  const stop = await c.run(['telemctl', 'stop']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.deepEqual(await states(c, ALL_UNITS), each(ALL_UNITS, 'inactive'));
  assert.equal(fs.existsSync(c.hostPath('/run/telem-0')), false, 'RemoveOnStop=yes');
});

test('systemd as PID 1: telemctl opt-out stops every unit, removes the marker and the work directories', async (t) => {
  const c = need(t);
  if (!c) return;
  assert.equal((await c.run(['telemctl', 'start'])).code, 0);
  assert.equal(await unitProperty(c, 'telemd.socket', 'ActiveState'), 'active');
  const r = await c.run(['telemctl', 'opt-out']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await states(c, ALL_UNITS), each(ALL_UNITS, 'inactive'));
  assert.equal(fs.existsSync(c.hostPath('/etc/telemetrics/opt-in')), false);
  for (const dir of ['/var/lib/telemetry', '/var/spool/telemetry', '/var/log/telemetry']) {
    assert.equal(fs.existsSync(c.hostPath(dir)), false, `${dir} removed`);
  }
  // No marker, no socket: the units' ConditionPathExists= keeps them down.
  await c.run(['systemctl', 'start', 'telemd.socket']);
  assert.equal(await unitProperty(c, 'telemd.socket', 'ActiveState'), 'inactive');
  const probe = await c.run(['telem-record-gen', '-c', 'org.example/nspawn/after', '-p', 'x']);
  assert.notEqual(probe.code, 0, 'a probe after opt-out is refused');
});
