// Node crash reports under systemd as PID 1 (a systemd-nspawn container,
// test/helpers/nspawn.ts): crash_dir as tmpfiles.d makes it, a real Node
// program using installCrashReporter from the installed libtelemetry writing
// its report there because telemd is not reachable, telemd.path starting
// telemd for it, the report reaching a collector on the host's loopback and
// its file leaving crash_dir; and what other users may do in crash_dir.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { type Container, NODE_IN, unitProperty, waitInside } from '../helpers/nspawn.ts';
import { QUICK_DELIVERY, systemdSuite } from '../helpers/systemd-suite.ts';

const CRASH_DIR = '/var/spool/telemetry-crash';
// An application as a user would write it, depending on the installed libtelemetry. Its
// socketPath names no socket: telemd is not reachable (as on a machine where telemd.socket
// is stopped, or the program's config points elsewhere), so the report goes to crash_dir.
// The socket itself stays active: a connection would start telemd, which is not what the
// test is about.
const APP = `import { installCrashReporter } from '@telemetrics/libtelemetry/crash-reporter';
const r = installCrashReporter({
  serviceName: 'nspawn-app',
  appVersion: '1.0.0',
  source: 'cli',
  socketPath: '/run/telem-unreachable',
  context: { who: process.argv[2] },
});
if (!r.enabled) { console.error('reporter off: ' + r.reason); process.exit(3); }
// From a callback: an uncaught exception (a throw at the top level would be one too).
setTimeout(() => {
  throw new Error('boom from ' + process.argv[2]);
}, 0);
`;
const USER_A = 61001;
const USER_B = 61002;

const need = systemdSuite({
  settings: (collector) => ({ server: collector.v2Url, ...QUICK_DELIVERY }),
  setup: 'telemctl opt-in',
  prepare: async (ct) => {
    await ct.sh(
      'mkdir -p /opt/app/node_modules/@telemetrics && ln -s /usr/lib/telemetrics/packages/libtelemetry /opt/app/node_modules/@telemetrics/libtelemetry',
    );
    fs.writeFileSync(ct.hostPath('/opt/app/crash.mjs'), APP, { mode: 0o644 });
  },
});

/** `sh -c script` inside as an unprivileged uid with no passwd entry and no groups. */
function asUser(ct: Container, uid: number, script: string) {
  return ct.run([
    'setpriv',
    `--reuid=${uid}`,
    `--regid=${uid}`,
    '--clear-groups',
    'sh',
    '-c',
    `cd /tmp && ${script}`,
  ]);
}

/** Runs the crashing app as `uid`; asserts it died of its uncaught exception as Node would. */
async function crashAs(ct: Container, uid: number, who: string): Promise<void> {
  const r = await asUser(ct, uid, `${NODE_IN} /opt/app/crash.mjs ${who}`);
  assert.equal(r.code, 1, `the app exits with Node's status for an uncaught exception\n${r.stderr}`);
  assert.match(r.stderr, new RegExp(`Error: boom from ${who}`));
}

async function crashFiles(ct: Container): Promise<string[]> {
  return (await ct.sh(`ls -A ${CRASH_DIR}`)).split('\n').filter(Boolean);
}

test('systemd as PID 1: tmpfiles.d creates crash_dir as 3733 telemetry:telemetry', async (t) => {
  const env = need(t);
  if (!env) return;
  const st = fs.statSync(env.ct.hostPath(CRASH_DIR));
  assert.ok(st.isDirectory());
  // Sticky, setgid (reports inherit group telemetry), -wx for group and others: not listable.
  assert.equal((st.mode & 0o7777).toString(8), '3733');
  const [uid, gid] = (await env.ct.sh('id -u telemetry && id -g telemetry')).split('\n').map(Number);
  assert.equal(st.uid, uid);
  assert.equal(st.gid, gid);
});

test("systemd as PID 1: a Node program's crash report in crash_dir makes telemd.path start telemd; it reaches the collector and leaves crash_dir", async (t) => {
  const env = need(t);
  if (!env) return;
  await env.ct.sh('systemctl start telemd.socket telemd.path');
  assert.equal(await unitProperty(env.ct, 'telemd.path', 'ActiveState'), 'active');
  assert.equal(await unitProperty(env.ct, 'telemd.service', 'ActiveState'), 'inactive');
  assert.equal(await unitProperty(env.ct, 'telemd.service', 'InvocationID'), '', 'telemd never ran yet');
  const before = env.collector.records.length;

  await crashAs(env.ct, USER_A, 'alpha');

  const records = await env.collector.waitForRecords(before + 1, { timeoutMs: 60_000 });
  const record = records[before];
  assert.equal(record?.classification, 'org.telemetrics/node/crash');
  const payload = JSON.parse(record.payload) as {
    kind: string;
    error: { message: string; stack: string };
    context: Record<string, string>;
    resource: Record<string, unknown>;
  };
  assert.equal(payload.kind, 'crash');
  assert.equal(payload.error.message, 'boom from alpha');
  assert.match(payload.error.stack, /\/opt\/app\/crash\.mjs:/);
  assert.equal(payload.context['who'], 'alpha');
  assert.equal(payload.resource['service.name'], 'nspawn-app');
  // Nothing connected to telemd.socket: the path unit started this telemd.
  assert.notEqual(await unitProperty(env.ct, 'telemd.service', 'InvocationID'), '');
  assert.equal(await unitProperty(env.ct, 'telemd.path', 'Triggers'), 'telemd.service');
  await waitInside(env.ct, `test -z "$(ls -A ${CRASH_DIR})"`);
});

test("systemd as PID 1: in crash_dir an unprivileged user can write a report but cannot list, read, delete, rename or overwrite another user's; telemd still delivers both", async (t) => {
  const env = need(t);
  if (!env) return;
  // Nobody takes the files meanwhile: telemd drains crash_dir while it runs, telemd.path starts it.
  await env.ct.sh('systemctl stop telemd.path telemd.service');
  await waitInside(env.ct, 'test "$(systemctl show -p ActiveState --value telemd.service)" = inactive');

  await crashAs(env.ct, USER_A, 'alice');
  const [aFile] = await crashFiles(env.ct);
  assert.ok(aFile, 'the report of A is in crash_dir');
  assert.match(aFile, /^[0-9a-f]{32}\.frame$/);
  const aPath = `${CRASH_DIR}/${aFile}`;
  const st = fs.statSync(env.ct.hostPath(aPath));
  assert.equal(st.uid, USER_A);
  // 0640, group telemetry (from the setgid directory): telemd reads it, other users cannot.
  assert.equal((st.mode & 0o7777).toString(8), '640');
  assert.equal(st.gid, Number(await env.ct.sh('id -g telemetry')));
  const original = fs.readFileSync(env.ct.hostPath(aPath));

  // B knows the name (it could learn it from a log or a shared screen): still no read.
  const read = await asUser(env.ct, USER_B, `cat ${aPath}`);
  assert.notEqual(read.code, 0, 'B cannot read A’s report by name');
  assert.match(read.stderr, /Permission denied/);
  assert.equal(read.stdout, '');

  const list = await asUser(env.ct, USER_B, `ls ${CRASH_DIR}`);
  assert.notEqual(list.code, 0);
  assert.match(list.stderr, /Permission denied/);
  const rm = await asUser(env.ct, USER_B, `rm -f ${aPath}`);
  assert.notEqual(rm.code, 0, 'the sticky bit keeps B from removing A’s file');
  assert.match(rm.stderr, /Operation not permitted/);
  const mv = await asUser(env.ct, USER_B, `mv ${aPath} ${CRASH_DIR}/stolen`);
  assert.notEqual(mv.code, 0);
  const write = await asUser(env.ct, USER_B, `echo junk > ${aPath}`);
  assert.notEqual(write.code, 0);
  assert.match(write.stderr, /Permission denied/);
  assert.deepEqual(fs.readFileSync(env.ct.hostPath(aPath)), original, 'A’s report is untouched');

  // B writes its own report there just as well.
  await crashAs(env.ct, USER_B, 'bob');
  const files = await crashFiles(env.ct);
  assert.equal(files.length, 2, files.join(' '));
  const owners = files.map((f) => fs.statSync(env.ct.hostPath(`${CRASH_DIR}/${f}`)).uid).sort();
  assert.deepEqual(owners, [USER_A, USER_B]);

  // Both reach the collector once telemd.path is back, and crash_dir empties.
  const before = env.collector.records.length;
  await env.ct.sh('systemctl start telemd.path');
  const records = await env.collector.waitForRecords(before + 2, { timeoutMs: 60_000 });
  const messages = records
    .slice(before)
    .map((r) => (JSON.parse(r.payload) as { error: { message: string } }).error.message)
    .sort();
  assert.deepEqual(messages, ['boom from alice', 'boom from bob']);
  await waitInside(env.ct, `test -z "$(ls -A ${CRASH_DIR})"`);
});
