// telemetrics-collector.service under systemd as PID 1 (a systemd-nspawn
// container, test/helpers/nspawn.ts): installed but not enabled, started as
// a user would, its SQLite database in its StateDirectory=, telemd inside the
// container delivering to it, its records surviving `systemctl restart`, and
// its settings from a root-only config file handed over as a credential.
// The container shares the host's network: the collector's port is a free
// port of the host, and 127.0.0.1 inside is the host's loopback.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';
import { type Container, NODE_IN, unitProperty, waitInside } from '../helpers/nspawn.ts';
import { containerSuite, QUICK_DELIVERY } from '../helpers/systemd-suite.ts';

const UNIT = 'telemetrics-collector.service';
const TOKEN = 'nspawn-secret-token';

let port = 0;
const suite = containerSuite({
  host: async () => {
    port = await freePort();
    return port;
  },
  settings: (p) => ({ server: `http://127.0.0.1:${p}/v2/collector`, ...QUICK_DELIVERY }),
  setup: 'telemctl opt-in && systemctl start telemd.socket',
});

function need(t: { skip(m?: string): void }): Container | undefined {
  return suite(t)?.ct;
}

/** A port nothing listens on now (the host's, which the container shares). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: p } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return p;
}

/**
 * GET /api/records?QUERY from the container's loopback (node's fetch inside); prints
 * `STATUS BODY`. Exit 0 only for a 200, so waitInside() can poll for the listener.
 */
function getRecords(query: string, token?: string): string {
  const headers = token ? `{ authorization: 'Bearer ${token}' }` : '{}';
  const js =
    `const r = await fetch('http://127.0.0.1:${port}/api/records?${query}', { headers: ${headers} });` +
    `console.log(r.status, await r.text()); process.exitCode = r.status === 200 ? 0 : 1;`;
  return `${NODE_IN} --input-type=module -e "${js}"`;
}

function classes(output: string): string[] {
  const body = output.slice(output.indexOf(' ') + 1);
  return (JSON.parse(body) as { records: { classification: string }[] }).records.map((r) => r.classification);
}

test('systemd as PID 1: telemetrics-collector.service is installed, not enabled, and starts with its database in its StateDirectory', async (t) => {
  const ct = need(t);
  if (!ct) return;
  const enabled = await ct.run(['systemctl', 'is-enabled', UNIT]);
  assert.equal(enabled.stdout.trim(), 'disabled');
  assert.equal(await unitProperty(ct, UNIT, 'ActiveState'), 'inactive');

  fs.writeFileSync(
    ct.hostPath('/etc/telemetrics/collector.env'),
    `TELEMETRICS_COLLECTOR_OPTS=--port ${port}\n`,
  );
  await ct.sh(`systemctl start ${UNIT}`);
  await waitInside(ct, getRecords('limit=10'));
  assert.equal(await unitProperty(ct, UNIT, 'ActiveState'), 'active');

  // DynamicUser=: a transient uid, never root; the state lives under /var/lib/private.
  const pid = await unitProperty(ct, UNIT, 'MainPID');
  const status = await ct.sh(`cat /proc/${pid}/status`);
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
  assert.ok(uid > 0 && uid < 65534, `runs as uid ${uid}`);
  assert.match(status, /^NoNewPrivs:\s+1$/m);
  assert.match(status, /^CapEff:\s+0+$/m);
  assert.match(status, /^Seccomp:\s+2$/m);
  assert.equal(
    (await ct.sh('readlink /var/lib/telemetrics-collector')).trim(),
    'private/telemetrics-collector',
  );
  const db = fs.statSync(ct.hostPath('/var/lib/private/telemetrics-collector/collector.db'));
  assert.equal(db.uid, uid, 'collector.db belongs to the dynamic user');
  const journal = await waitInside(ct, `journalctl -u ${UNIT} -o cat --no-pager | grep 'listening'`);
  assert.match(journal, new RegExp(`port=${port} db=sqlite:/var/lib/telemetrics-collector/collector\\.db`));
});

test('systemd as PID 1: telemd delivers a record to telemetrics-collector.service, which keeps it across systemctl restart', async (t) => {
  const ct = need(t);
  if (!ct) return;
  await ct.sh("telem-record-gen -c org.example/nspawn/collector -p 'to the service'");
  const stored = await waitInside(
    ct,
    `${getRecords('classification=org.example/nspawn/collector')} | grep -q nspawn && ${getRecords('classification=org.example/nspawn/collector')}`,
    60_000,
  );
  assert.deepEqual(classes(stored), ['org.example/nspawn/collector']);

  const first = await unitProperty(ct, UNIT, 'InvocationID');
  await ct.sh(`systemctl restart ${UNIT}`);
  assert.notEqual(await unitProperty(ct, UNIT, 'InvocationID'), first);
  const after = await waitInside(ct, getRecords('classification=org.example/nspawn/collector'));
  assert.deepEqual(classes(after), ['org.example/nspawn/collector'], 'the record survived the restart');
  // SIGTERM is a clean stop: exit 0, not a failure systemd would restart.
  const stops = await ct.sh(`journalctl -u ${UNIT} -o cat --no-pager | grep -c '^stopped' || true`);
  assert.ok(Number(stops.trim()) >= 1, 'the collector logged its clean stop');

  // And the restarted collector takes new records.
  await ct.sh("telem-record-gen -c org.example/nspawn/after -p 'after the restart'");
  const next = await waitInside(
    ct,
    `${getRecords('classification=org.example/nspawn/after')} | grep -q nspawn/after && ${getRecords('classification=org.example/nspawn/after')}`,
    60_000,
  );
  assert.deepEqual(classes(next), ['org.example/nspawn/after']);
});

test('systemd as PID 1: telemetrics-collector.service reads a root-only config file handed over with LoadCredential=', async (t) => {
  const ct = need(t);
  if (!ct) return;
  // As docs/collector.md says: secrets in a 0600 root file, the options in a drop-in.
  fs.rmSync(ct.hostPath('/etc/telemetrics/collector.env'));
  fs.writeFileSync(
    ct.hostPath('/etc/telemetrics/collector.conf'),
    `port = ${port}\naccess-token = ${TOKEN}\n`,
    { mode: 0o600 },
  );
  await ct.sh(
    `mkdir -p /etc/systemd/system/${UNIT}.d && printf '[Service]\\nLoadCredential=collector.conf:/etc/telemetrics/collector.conf\\nEnvironment=TELEMETRICS_COLLECTOR_OPTS=--config=%%d/collector.conf\\n' > /etc/systemd/system/${UNIT}.d/config.conf && systemctl daemon-reload && systemctl restart ${UNIT}`,
  );
  const withToken = await waitInside(ct, getRecords('classification=org.example/nspawn/collector', TOKEN));
  assert.deepEqual(classes(withToken), ['org.example/nspawn/collector']);
  // The token applies: loopback alone no longer reads.
  const without = await ct.run(['sh', '-c', getRecords('limit=1')]);
  assert.match(without.stdout, /^403 /);
  // The dynamic user cannot read the file itself, only systemd's copy.
  const pid = await unitProperty(ct, UNIT, 'MainPID');
  const uid = /^Uid:\s+(\d+)/m.exec(await ct.sh(`cat /proc/${pid}/status`))?.[1];
  const direct = await ct.run([
    'setpriv',
    `--reuid=${uid}`,
    `--regid=${uid}`,
    '--clear-groups',
    'cat',
    '/etc/telemetrics/collector.conf',
  ]);
  assert.notEqual(direct.code, 0);
});
