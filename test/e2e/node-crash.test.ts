// Crash reports of a real Node program (libtelemetry's installCrashReporter,
// the built package) through the real telemd to the reference collector and
// an OTLP receiver: an uncaught exception, an unhandled rejection, a handled
// error (reportError) and a busy loop caught by the hang watchdog. Then telemd
// down (the reports wait in crash_dir and arrive once it starts), and
// TELEMETRICS_CRASH_REPORT=0 (nothing sent, nothing written).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Collector, startCollector } from '../helpers/collector.ts';
import { startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { renderConfig, spawnTelemd, tempDir, waitUntil } from '../helpers/telemd.ts';

const LIBTELEMETRY = fileURLToPath(new URL('../../packages/libtelemetry/dist/index.js', import.meta.url));

// The program under test: a small server-like app with the reporter installed.
const PROGRAM = `
import { installCrashReporter } from ${JSON.stringify(LIBTELEMETRY)};
const crashes = installCrashReporter({
  serviceName: 'demo-server', appVersion: '2.0.1', source: 'server',
  configFile: process.env.TELEMETRICS_CONF, context: { modelId: 'llama3', command: process.argv[2] },
  hangWatchdog: { deadlineMs: 400, exit: true },
});
function parseRequest(text) { return JSON.parse(text).body.length; }
function handleRequest() { return parseRequest('{}'); }
async function callBackend() { throw Object.assign(new Error('backend answered 500'), { name: 'BackendError' }); }
function spinForever() { for (;;) {} }
function stuckHandler() { spinForever(); }
switch (process.argv[2]) {
  case 'throw': setImmediate(handleRequest); break;
  case 'reject': callBackend(); break;
  case 'report': {
    try { await callBackend(); } catch (error) {
      const outcome = await crashes.reportError(error, { endpoint: '/v1/chat/completions' });
      process.stdout.write(outcome.fate + '\\n');
    }
    break;
  }
  case 'hang': setImmediate(stuckHandler); break;
}
`;

interface Machine {
  readonly dir: string;
  readonly conf: string;
  readonly crashDir: string;
  readonly socket: string;
  readonly program: string;
}

/**
 * Paths a program and telemd share: socket, opt-in, crash_dir; the program's config file. Its
 * frames name that file (CFG:), and telemd then delivers to the server it names, as C does.
 */
function machine(server: string): Machine {
  const dir = tempDir();
  const crashDir = path.join(dir, 'crash');
  mkdirSync(crashDir);
  writeFileSync(path.join(dir, 'opt-in'), '');
  const socket = path.join(dir, 'telem-0');
  const conf = path.join(dir, 'program.conf');
  writeFileSync(
    conf,
    renderConfig({ server, socket_path: socket, opt_in_file: path.join(dir, 'opt-in'), crash_dir: crashDir }),
  );
  const program = path.join(dir, 'app.mjs');
  writeFileSync(program, PROGRAM);
  return { dir, conf, crashDir, socket, program };
}

async function runProgram(m: Machine, mode: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [m.program, mode], {
    env: { PATH: process.env.PATH ?? '', TELEMETRICS_CONF: m.conf, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const [code, signal] = await once(child, 'exit');
  return { code: code as number | null, signal: signal as string | null, stdout, stderr };
}

function telemdFor(m: Machine, collector: Collector, extra: Record<string, string> = {}) {
  return spawnTelemd({
    server: collector.v2Url,
    socket_path: m.socket,
    opt_in_file: path.join(m.dir, 'opt-in'),
    crash_dir: m.crashDir,
    delivery_retry_base_ms: 100,
    delivery_retry_max_ms: 400,
    ...extra,
  });
}

function byClass(records: readonly { classification: string; payload: string }[], classification: string) {
  const found = records.filter((r) => r.classification === classification);
  assert.equal(found.length, 1, `one ${classification}: ${records.map((r) => r.classification).join(', ')}`);
  return JSON.parse(found[0]!.payload);
}

test('throw, reject, reportError and a busy loop: four reports at the collector and the OTLP receiver', async () => {
  await using collector = await startCollector();
  const m = machine(collector.v2Url);
  await using receiver = await startOtlpReceiver();
  await using _telemd = await telemdFor(m, collector, { otlp_endpoint: receiver.url });
  const thrown = await runProgram(m, 'throw');
  assert.equal(thrown.code, 1, 'Node exits as it always does');
  assert.match(thrown.stderr, /TypeError: Cannot read properties of undefined/);
  const rejected = await runProgram(m, 'reject');
  assert.equal(rejected.code, 1);
  const reported = await runProgram(m, 'report');
  assert.equal(reported.code, 0);
  assert.equal(reported.stdout, 'sent\n');
  const hung = await runProgram(m, 'hang');
  assert.equal(hung.signal, 'SIGTERM', 'the watchdog ended the stuck program');
  const records = await collector.waitForRecords(4, { timeoutMs: 30_000 });

  const crash = byClass(records, 'org.telemetrics/node/crash');
  assert.equal(crash.error.name, 'TypeError');
  assert.match(
    crash.error.stack,
    /\n {4}at parseRequest \(file:\/\/.*app\.mjs:\d+:\d+\)\n {4}at Immediate\.handleRequest /,
  );
  assert.equal(crash.resource['service.name'], 'demo-server');
  assert.equal(crash.context.command, 'throw');

  const rejection = byClass(records, 'org.telemetrics/node/rejection');
  assert.equal(rejection.error.name, 'BackendError');
  assert.match(rejection.error.stack, /at callBackend \(file:\/\/.*app\.mjs/);

  const error = byClass(records, 'org.telemetrics/node/error');
  assert.equal(error.error.message, 'backend answered 500');
  assert.equal(error.context.endpoint, '/v1/chat/completions');
  assert.equal(error.context.modelId, 'llama3');

  const hang = byClass(records, 'org.telemetrics/node/hang');
  assert.equal(hang.error.name, 'Hang');
  // The main thread's own stack, taken while it spun.
  assert.match(
    hang.error.stack,
    /\n {4}at spinForever \(file:\/\/.*app\.mjs:\d+:\d+\)\n {4}at stuckHandler \(/,
  );

  const severities = Object.fromEntries(records.map((r) => [r.classification, r.severity]));
  assert.deepEqual(severities, {
    'org.telemetrics/node/crash': 4,
    'org.telemetrics/node/rejection': 4,
    'org.telemetrics/node/error': 2,
    'org.telemetrics/node/hang': 3,
  });
  const logs = await receiver.waitForLogs(4);
  assert.deepEqual(receiver.errors, [], 'every request decodes and fits the crash report schema');
  assert.deepEqual(new Set(logs.map((l) => l.resource['service.name'])), new Set(['demo-server']));
  assert.deepEqual(readdirSync(m.crashDir), []);
});

test('telemd down: the reports wait in crash_dir and arrive once telemd starts', async () => {
  await using collector = await startCollector();
  const m = machine(collector.v2Url);
  assert.equal((await runProgram(m, 'throw')).code, 1);
  assert.equal((await runProgram(m, 'report')).stdout, 'kept\n');
  const waiting = readdirSync(m.crashDir);
  assert.equal(waiting.length, 2);
  await using _telemd = await telemdFor(m, collector);
  const records = await collector.waitForRecords(2, { timeoutMs: 30_000 });
  assert.deepEqual(
    new Set(records.map((r) => `${r.event_id}.frame`)),
    new Set(waiting),
    'the same reports, by event id',
  );
  await waitUntil(() => readdirSync(m.crashDir).length === 0, 'an empty crash_dir');
});

test('TELEMETRICS_CRASH_REPORT=0: nothing sent, nothing written', async () => {
  await using collector = await startCollector();
  const m = machine(collector.v2Url);
  await using telemd = await telemdFor(m, collector);
  const off = { TELEMETRICS_CRASH_REPORT: '0' };
  assert.equal((await runProgram(m, 'throw', off)).code, 1);
  assert.equal((await runProgram(m, 'report', off)).stdout, 'off\n');
  // Then one report with reporting on, as a marker: once it is in, nothing earlier is still coming.
  assert.equal((await runProgram(m, 'report')).stdout, 'sent\n');
  const records = await collector.waitForRecords(1, { timeoutMs: 30_000 });
  assert.equal(records.length, 1);
  assert.equal(records[0]!.classification, 'org.telemetrics/node/error');
  assert.doesNotMatch(telemd.log(), /record accepted.*node\/crash/);
  assert.deepEqual(readdirSync(m.crashDir), []);
});
