// The installed units under systemd as PID 1 (a systemd-nspawn container,
// test/helpers/nspawn.ts): telemd.socket activation, delivery to a collector
// on the host's loopback, idle exit and re-activation, telemd.path for spool
// files, and hprobe.timer. Each test's name says "systemd as PID 1" so a CI log
// shows what ran under the real thing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { unitProperty, waitInside } from '../helpers/nspawn.ts';
import { QUICK_DELIVERY, systemdSuite } from '../helpers/systemd-suite.ts';
import { VECTORS_DIR } from '../helpers/vectors.ts';

const need = systemdSuite({
  settings: (collector) => ({ server: collector.v2Url, ...QUICK_DELIVERY }),
  setup: 'telemctl opt-in',
});

test('systemd as PID 1: systemctl start telemd.socket listens on /run/telem-0 for every user', async (t) => {
  const env = need(t);
  if (!env) return;
  await env.ct.sh('systemctl start telemd.socket');
  assert.equal(await unitProperty(env.ct, 'telemd.socket', 'ActiveState'), 'active');
  assert.equal(await unitProperty(env.ct, 'telemd.service', 'ActiveState'), 'inactive');
  const st = fs.statSync(env.ct.hostPath('/run/telem-0'));
  assert.ok(st.isSocket());
  assert.equal((st.mode & 0o777).toString(8), '666');
});

test("systemd as PID 1: a probe's connection starts telemd, the record reaches the host's collector", async (t) => {
  const env = need(t);
  if (!env) return;
  const before = env.collector.records.length;
  // As an unprivileged user: the socket is 0666, the probe needs no group.
  await env.ct.sh(
    "setpriv --reuid=nobody --regid=nogroup --clear-groups telem-record-gen -c org.example/nspawn/first -p 'first'",
  );
  const records = await env.collector.waitForRecords(before + 1, { timeoutMs: 60_000 });
  assert.equal(records[before]?.classification, 'org.example/nspawn/first');
  // journald may file the line a moment after the record arrived.
  await waitInside(
    env.ct,
    "journalctl -u telemd.service -o cat --no-pager | grep -q '^telemd started .*activated=true'",
  );
});

test('systemd as PID 1: telemd exits when idle and the next probe starts it again', async (t) => {
  const env = need(t);
  if (!env) return;
  await waitInside(env.ct, 'test "$(systemctl show -p ActiveState --value telemd.service)" = inactive');
  const first = await unitProperty(env.ct, 'telemd.service', 'InvocationID');
  assert.equal(
    await unitProperty(env.ct, 'telemd.service', 'Result'),
    'success',
    'an idle exit is not a failure',
  );
  assert.equal(await unitProperty(env.ct, 'telemd.socket', 'ActiveState'), 'active');
  const before = env.collector.records.length;
  await env.ct.sh("telem-record-gen -c org.example/nspawn/again -p 'again'");
  const records = await env.collector.waitForRecords(before + 1, { timeoutMs: 60_000 });
  assert.equal(records[before]?.classification, 'org.example/nspawn/again');
  const second = await unitProperty(env.ct, 'telemd.service', 'InvocationID');
  assert.notEqual(second, first, 'a new invocation of telemd.service delivered it');
});

test('systemd as PID 1: telemd.path starts telemd for a record waiting in the spool', async (t) => {
  const env = need(t);
  if (!env) return;
  await waitInside(env.ct, 'test "$(systemctl show -p ActiveState --value telemd.service)" = inactive');
  await env.ct.sh('systemctl start telemd.path');
  assert.equal(await unitProperty(env.ct, 'telemd.path', 'ActiveState'), 'active');
  const before = env.collector.records.length;
  // A spool file as C's telemd wrote it (test/vectors/spool), named like C's (XXXXXX).
  const spooled = env.ct.hostPath('/var/spool/telemetry/Ab12Cd');
  fs.copyFileSync(`${VECTORS_DIR}/spool/v2.3.5-heartbeat.spool`, spooled);
  await env.ct.sh('chown telemetry:telemetry /var/spool/telemetry/Ab12Cd');
  const records = await env.collector.waitForRecords(before + 1, { timeoutMs: 60_000 });
  assert.equal(records[before]?.classification, 'org.clearlinux/heartbeat/ping');
  await waitInside(env.ct, 'test -z "$(ls -A /var/spool/telemetry)"');
  const triggered = await unitProperty(env.ct, 'telemd.path', 'Triggers');
  assert.equal(triggered, 'telemd.service');
});

test('systemd as PID 1: hprobe.timer starts hprobe.service, whose heartbeat reaches the collector', async (t) => {
  const env = need(t);
  if (!env) return;
  // The installed timer fires daily within 6 h; a drop-in moves only its time
  // (1 s after start, no random delay), the rest is the unit as installed.
  const calendar = await unitProperty(env.ct, 'hprobe.timer', 'TimersCalendar');
  assert.match(calendar, /OnCalendar=\*-\*-\* 00:00:00/);
  await env.ct.sh(
    "mkdir -p /run/systemd/system/hprobe.timer.d && printf '[Timer]\\nOnCalendar=\\nOnActiveSec=1s\\nRandomizedDelaySec=0\\nAccuracySec=1ms\\nPersistent=false\\n' > /run/systemd/system/hprobe.timer.d/soon.conf && systemctl daemon-reload && systemctl start hprobe.timer",
  );
  const before = env.collector.records.length;
  const records = await env.collector.waitForRecords(before + 1, { timeoutMs: 60_000 });
  assert.equal(records[before]?.classification, 'org.clearlinux/heartbeat/ping');
  // The record can reach the collector before systemd has seen hprobe exit; Result= reads
  // "success" before any run, so wait for the oneshot's end in the journal.
  const journal = await waitInside(
    env.ct,
    "journalctl -u hprobe.service -o cat --no-pager | grep -E '^(Finished|Failed to start) hprobe.service' >/dev/null && journalctl -u hprobe.service -o cat --no-pager",
  );
  assert.match(journal, /^Finished hprobe\.service/m);
  assert.equal(await unitProperty(env.ct, 'hprobe.service', 'ExecMainStatus'), '0');
});
