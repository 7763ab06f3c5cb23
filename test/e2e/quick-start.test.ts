// README "Quick start", first command: scripts/start.sh starts a collector and
// telemd, delivers an hprobe record, prints working commands to see it and to
// send another, and stops both cleanly on Ctrl-C (SIGINT to its process
// group, as a terminal sends it); a Node crash report kept in its crash_dir
// reaches the collector. --no-build: the suite's build is the one
// under test, and a rebuild would rewrite dist/ under the tests running beside.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { waitUntil } from '../helpers/poll.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const CRASH_REPORTER = path.join(REPO, 'packages/libtelemetry/dist/crash-reporter/index.js');

async function classifications(url: string): Promise<string[]> {
  const body = (await (await fetch(url)).json()) as { records: { classification: string }[] };
  return body.records.map((r) => r.classification);
}

test('bash scripts/start.sh delivers a record, prints commands that work, and stops cleanly on Ctrl-C', async (t) => {
  const local = fs.mkdtempSync(path.join(os.tmpdir(), 'telem-'));
  t.after(() => fs.rmSync(local, { recursive: true, force: true }));
  const child = spawn('bash', ['scripts/start.sh', '--no-build'], {
    cwd: REPO,
    detached: true, // its own process group, like a shell job
    env: { ...process.env, LOCAL_DIR: local },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  t.after(() => {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
  });

  await waitUntil(
    () => out.includes('Ctrl-C stops both.') || child.exitCode !== null,
    () => `start.sh to get ready:\n${out}`,
    120_000,
    100,
  );
  assert.ok(out.includes('Ctrl-C stops both.'), `start.sh exited before it was ready:\n${out}`);
  assert.match(out, /Successfully sent record to daemon\./);
  const url = /the collector: +(\S+)/.exec(out)?.[1];
  assert.ok(url, out);
  assert.deepEqual(await classifications(url), ['org.clearlinux/hello/world']);

  // The printed commands, run as printed (from another directory, too).
  const commandOf = (label: string): string => {
    const m = new RegExp(`${label}: +(.*)`).exec(out);
    assert.ok(m, `no "${label}" line:\n${out}`);
    return m[1]!;
  };
  const env = { ...process.env, PATH: `${path.join(REPO, '.toolchain/bin')}:${process.env['PATH'] ?? ''}` };
  const send = spawnSync('sh', ['-c', `cd ${REPO} && ${commandOf('another record')}`], {
    env,
    encoding: 'utf8',
  });
  assert.equal(send.status, 0, send.stderr);
  const journal = spawnSync('sh', ['-c', `cd ${REPO} && ${commandOf("telemd's journal")}`], {
    env,
    encoding: 'utf8',
  });
  assert.equal(journal.status, 0, journal.stderr);
  assert.match(journal.stdout, /^org\.clearlinux\/hello\/world /m);

  // A Node program's crash report, kept in the local crash_dir (telemd not reached on the socket
  // it was given), is taken by the running telemd and reaches the collector.
  const program = `import { createCrashReporter } from ${JSON.stringify(CRASH_REPORTER)};
    const r = createCrashReporter({ serviceName: 'quick', configFile: process.argv[1], socketPath: process.argv[2] });
    console.log(JSON.stringify(await r.reportError(new Error('kept locally'))));`;
  const kept = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', program, path.join(local, 'telemd.conf'), path.join(local, 'no-socket')],
    { encoding: 'utf8' },
  );
  assert.equal(kept.status, 0, kept.stderr);
  assert.equal(JSON.parse(kept.stdout).fate, 'kept', kept.stdout);
  await waitUntil(
    async () => (await classifications(url)).includes('org.telemetrics/node/error'),
    () => `the kept crash report to reach the collector:\n${out}`,
    60_000,
    100,
  );

  process.kill(-child.pid!, 'SIGINT');
  const [code] = await exited;
  assert.equal(code, 0, out);
  assert.match(out, /telemd stopped/);
  assert.equal(fs.existsSync(path.join(local, 'telem-0')), false, 'telemd removed its socket');
});
