// telemetrics-collector as a process: --help/--version/usage errors, the config file, SIGTERM
// draining an in-flight request, and a record acknowledged with 201 surviving kill -9 (SQLite
// and PostgreSQL).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { COLLECTOR_MAIN, spawnCollector } from '../helpers/collector-process.ts';
import { inCI, lacks } from '../helpers/need.ts';
import { type PostgresCluster, postgresAvailable, startPostgres } from '../helpers/postgres.ts';
import { runBin } from '../helpers/run-bin.ts';
import { readVector } from '../helpers/vectors.ts';

let dir = '';
let cluster: PostgresCluster | undefined;
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'collector-cli-'));
  if (postgresAvailable() || inCI) cluster = await startPostgres();
});
after(async () => {
  await cluster?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The C client's hprobe request, bytes as captured (its event id replaced by `eventId`). */
function hprobeRequest(eventId: string): Buffer {
  const text = readVector('http/v2.3.5-hprobe.request.http').toString('latin1');
  return Buffer.from(text.replace(/event_id: [0-9a-f]{32}/, `event_id: ${eventId}`), 'latin1');
}

test('--help, --version, and a usage error (exit 2, one line)', async () => {
  const help = await runBin(COLLECTOR_MAIN, ['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: telemetrics-collector \[OPTIONS\]/);
  for (const option of [
    '--host',
    '--port',
    '--db',
    '--config',
    '--access-token',
    '--purge-filtered-records',
  ]) {
    assert.ok(help.stdout.includes(option), option);
  }
  const version = await runBin(COLLECTOR_MAIN, ['--version']);
  assert.match(version.stdout, /^telemetrics-collector \d+\.\d+\.\d+\n$/);
  const bad = await runBin(COLLECTOR_MAIN, ['--bogus']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^telemetrics-collector: .*--bogus.*; try --help\n$/);
  const badPort = await runBin(COLLECTOR_MAIN, ['--port', 'x']);
  assert.equal(badPort.code, 2);
});

test('the config file is read; the command line wins; an unknown key is an error', async () => {
  const conf = path.join(dir, 'collector.conf');
  writeFileSync(conf, `# comment\nport = 1\ntid = my-tid\ndb = sqlite:${path.join(dir, 'conf.db')}\n`);
  await using c = await spawnCollector({
    db: `sqlite:${path.join(dir, 'conf.db')}`,
    args: ['--config', conf],
  });
  const res = await fetch(c.v2Url, { method: 'POST', headers: { 'X-Telemetry-TID': 'my-tid' }, body: 'x' });
  assert.deepEqual(
    await res.json(),
    { message: 'Record-Format-Version is invalid' },
    'the TID from the file passed',
  );
  writeFileSync(conf, 'colour = blue\n');
  const bad = await runBin(COLLECTOR_MAIN, ['--config', conf]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /collector\.conf:1: unknown key 'colour'/);
});

test('a database that cannot be opened: exit 1 with the reason', async () => {
  const r = await runBin(COLLECTOR_MAIN, ['--db', 'postgres://nobody@127.0.0.1:1/x', '--port', '0']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^<3>cannot open the database db=/m);
});

test('SIGTERM lets an in-flight request finish (201, stored) and exits 0', async () => {
  const db = `sqlite:${path.join(dir, 'drain.db')}`;
  const c = await spawnCollector({ db });
  const request = hprobeRequest('d'.repeat(32));
  const split = request.length - 3;
  const socket = net.connect(c.port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.write(request.subarray(0, split));
  let answer = '';
  socket.setEncoding('latin1').on('data', (d: string) => {
    answer += d;
  });
  // SIGTERM only once the collector has the request's head: then it is in flight.
  await c.waitForLog(/^<7>request method=POST path=\/v2\/collector$/);
  c.child.kill('SIGTERM');
  await c.waitForLog(/^<5>stopping signal=SIGTERM in_flight=1$/);
  socket.write(request.subarray(split));
  assert.equal(await c.exited, 0);
  assert.match(answer, /^HTTP\/1\.1 201 CREATED\r\n/);
  assert.match(answer, /\r\nConnection: close\r\n/i);
  await using again = await spawnCollector({ db });
  const list = (await (await fetch(`${again.url}/api/records`)).json()) as {
    records: { event_id: string }[];
  };
  assert.deepEqual(
    list.records.map((r) => r.event_id),
    ['d'.repeat(32)],
  );
});

test('socket activation: listens on the socket systemd-socket-activate passes', async (t) => {
  const missing = spawnSync('systemd-socket-activate', ['--version']).status !== 0;
  if (lacks(t, missing && 'systemd-socket-activate is not installed')) return;
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const child = spawn(
    'systemd-socket-activate',
    [
      '-l',
      `127.0.0.1:${port}`,
      process.execPath,
      COLLECTOR_MAIN,
      '--db',
      `sqlite:${path.join(dir, 'act.db')}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const bound = new Promise<void>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      // systemd-socket-activate says "Listening on 127.0.0.1:PORT as 3." once it holds the socket.
      if (/Listening on /.test(stderr)) resolve();
    });
    child.once('close', () => reject(new Error(`systemd-socket-activate exited: ${stderr}`)));
  });
  try {
    await bound;
    // The first connection starts the collector on the inherited socket.
    const res = await fetch(`http://127.0.0.1:${port}/v2/collector`, { method: 'POST', body: 'x' });
    assert.deepEqual(await res.json(), { message: 'Telemetry ID mismatch' });
    assert.match(stderr, /^<5>listening /m);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('close', r));
  }
});

describe('a 201 survives kill -9 right after it', () => {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    test(dialect, async (t) => {
      if (dialect === 'postgres' && cluster === undefined) return t.skip('no PostgreSQL');
      const db =
        dialect === 'sqlite' ? `sqlite:${path.join(dir, 'kill.db')}` : await cluster!.createDatabase();
      const c = await spawnCollector({ db });
      const ids: string[] = [];
      // 20 records in a row; the collector dies the moment the last 201 arrives.
      for (let i = 0; i < 20; i++) {
        const eventId = i.toString(16).padStart(32, 'e');
        const res = await fetch(c.v2Url, {
          method: 'POST',
          headers: Object.fromEntries(
            hprobeRequest(eventId)
              .toString('latin1')
              .split('\r\n\r\n')[0]!
              .split('\r\n')
              .slice(1)
              .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()])
              .filter(([n]) => !/^(host|content-length|accept)$/i.test(n!)),
          ),
          body: 'hello\n\n',
        });
        assert.equal(res.status, 201);
        if (i === 19) c.child.kill('SIGKILL');
        ids.push(eventId);
      }
      assert.equal(await c.exited, null);
      await using again = await spawnCollector({ db });
      const list = (await (await fetch(`${again.url}/api/records`)).json()) as {
        records: { event_id: string }[];
      };
      assert.deepEqual(list.records.map((r) => r.event_id).sort(), ids.sort());
    });
  }
});
