// The sandboxes of telemd.service and hprobe.service, and telemd's log
// priorities, under systemd as PID 1 (a systemd-nspawn container,
// test/helpers/nspawn.ts). systemd-sandbox.test.ts checks the syscall filter
// against strace on the host; this file checks what systemd itself enforces.
//
// What the sandbox allows is probed from inside it: a drop-in replaces only the
// unit's ExecStart= with test/fixtures/sandbox-probe.mjs (same node, same
// user, same every other setting), which tries writes and sockets and prints
// what happened. telemd itself cannot be asked to try a forbidden write.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Container, NODE_IN, REPO_IN, unitProperty, waitInside } from '../helpers/nspawn.ts';
import { systemdSuite } from '../helpers/systemd-suite.ts';

const suite = systemdSuite({
  // A long idle time: the tests read the running daemon's identity.
  settings: (collector) => ({ server: collector.v2Url, idle_exit_seconds: 120 }),
  setup: 'telemctl opt-in && systemctl start telemd.socket',
});

function need(t: { skip(m?: string): void }): Container | undefined {
  return suite(t)?.ct;
}

interface ProbeResult {
  readonly uid: number;
  readonly user: string;
  readonly writes: Record<string, string>;
  readonly udp4: string;
  readonly udp6: string;
}

const TRIED = [
  '/etc',
  '/usr/lib',
  '/var/lib',
  '/var/spool/telemetry',
  '/var/lib/telemetry',
  '/var/log/telemetry',
  '/tmp',
];

/** Runs the sandbox probe as `unit`'s ExecStart= and returns what it found. */
async function probeUnit(c: Container, unit: string): Promise<ProbeResult> {
  const dropIn = `/run/systemd/system/${unit}.d`;
  await c.sh(
    `mkdir -p ${dropIn} && printf '[Service]\\nExecStart=\\nExecStart=${NODE_IN} ${REPO_IN}/test/fixtures/sandbox-probe.mjs ${TRIED.join(' ')}\\nType=oneshot\\n' > ${dropIn}/probe.conf && systemctl daemon-reload`,
  );
  try {
    const since = (await c.sh('date +@%s.%N')).trim();
    await c.sh(`systemctl start ${unit}`, { timeoutMs: 60_000 });
    // journald may file the probe's output a moment after the oneshot ended.
    const out = await waitInside(
      c,
      `journalctl -u ${unit} --since ${since} -o cat --no-pager | grep '^SANDBOX-PROBE '`,
    ).catch((err: Error) => err.message);
    const line = out.split('\n').find((l) => l.startsWith('SANDBOX-PROBE '));
    assert.ok(line, `no probe output from ${unit}:\n${out}`);
    return JSON.parse(line.slice('SANDBOX-PROBE '.length)) as ProbeResult;
  } finally {
    await c.sh(`rm -rf ${dropIn} && systemctl daemon-reload`);
  }
}

test("systemd as PID 1: telemd.service's sandbox lets it write only its three trees", async (t) => {
  const c = need(t);
  if (!c) return;
  const r = await probeUnit(c, 'telemd.service');
  assert.equal(r.user, 'telemetry');
  assert.deepEqual(r.writes, {
    '/etc': 'EROFS',
    '/usr/lib': 'EROFS',
    '/var/lib': 'EROFS',
    '/var/spool/telemetry': 'ok',
    '/var/lib/telemetry': 'ok',
    '/var/log/telemetry': 'ok',
    '/tmp': 'ok', // PrivateTmp=: its own, thrown away
  });
  // RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6: the collector may be on either.
  assert.equal(r.udp4, 'ok');
  assert.equal(r.udp6, 'ok');
});

test("systemd as PID 1: hprobe.service's sandbox refuses AF_INET6 and AF_INET sockets and every write", async (t) => {
  const c = need(t);
  if (!c) return;
  const r = await probeUnit(c, 'hprobe.service');
  assert.equal(r.user, 'telemetry');
  // RestrictAddressFamilies=AF_UNIX: socket() itself fails.
  assert.equal(r.udp6, 'EAFNOSUPPORT');
  assert.equal(r.udp4, 'EAFNOSUPPORT');
  for (const dir of TRIED.filter((d) => d !== '/tmp')) {
    assert.notEqual(r.writes[dir], 'ok', `hprobe could write to ${dir}`);
  }
});

test('systemd as PID 1: the activated telemd runs as the telemetry user, not root', async (t) => {
  const c = need(t);
  if (!c) return;
  await c.sh('telem-record-gen -c org.example/nspawn/who -p who');
  await waitInside(c, 'test "$(systemctl show -p ActiveState --value telemd.service)" = active');
  const pid = await unitProperty(c, 'telemd.service', 'MainPID');
  const status = await c.sh(`cat /proc/${pid}/status`);
  const uid = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
  const telemetry = (await c.sh('id -u telemetry')).trim();
  assert.deepEqual([uid?.[1], uid?.[2]], [telemetry, telemetry]);
  assert.match(status, /^CapEff:\s+0+$/m, 'no capabilities');
  assert.match(status, /^NoNewPrivs:\s+1$/m);
  assert.match(status, /^Seccomp:\s+2$/m, 'a syscall filter is installed');
});

test("systemd as PID 1: journald files telemd's <N> prefixes as priorities, not as text", async (t) => {
  const c = need(t);
  if (!c) return;
  await waitInside(c, "journalctl -u telemd.service -o cat --no-pager | grep -q '^telemd started'");
  const lines = (await c.sh('journalctl -u telemd.service -o json --no-pager'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { MESSAGE?: string; PRIORITY?: string; SYSLOG_IDENTIFIER?: string })
    .filter((e) => e.SYSLOG_IDENTIFIER === 'telemd');
  assert.ok(lines.length > 0);
  for (const e of lines) assert.doesNotMatch(String(e.MESSAGE), /^<\d>/, 'a prefix left in the text');
  const priority = (start: string): string | undefined =>
    lines.find((e) => e.MESSAGE?.startsWith(start))?.PRIORITY;
  assert.equal(priority('telemd started'), '5', 'notice');
  assert.equal(priority('configuration loaded'), '6', 'info');
});
