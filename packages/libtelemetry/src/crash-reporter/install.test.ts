// Real Node programs that install the crash reporter and then throw, reject or
// report a handled error, against a real unix socket standing in for telemd
// (test/helpers/frame-listener.ts) or none at all.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { listenForFrames } from '../../../../test/helpers/frame-listener.ts';
import { decodeFrame } from '../wire/frame.ts';

const dir = mkdtempSync(join(tmpdir(), 'crash-reporter-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const INDEX = new URL('./index.ts', import.meta.url).pathname;
let seq = 0;

const PROGRAM = `
import { installCrashReporter } from ${JSON.stringify(INDEX)};
const reporter = installCrashReporter({
  serviceName: 'demo-server', appVersion: '1.2.3', source: 'server',
  configFile: process.env.CONF, context: { modelId: 'llama3' },
  hangWatchdog: process.env.WATCHDOG ? JSON.parse(process.env.WATCHDOG) : undefined,
});
process.stdout.write(JSON.stringify({ enabled: reporter.enabled, reason: reporter.reason }) + '\\n');
const mode = process.argv[2];
function deepest() { throw new TypeError('boom \\u00fc'); }
if (mode === 'throw') setImmediate(() => deepest());
if (mode === 'reject') Promise.reject(new RangeError('nope'));
if (mode === 'toplevel') deepest();
if (mode === 'reject-later') setImmediate(() => Promise.reject(new RangeError('later')));
if (mode === 'tla-reject') await Promise.reject(new RangeError('awaited'));
if (mode === 'tla-then-throw') { await new Promise((r) => setTimeout(r, 5)); deepest(); }
function spin(ms) { const end = Date.now() + ms; while (Date.now() < end) {} }
function stuck() { spin(Number(process.env.SPIN_MS)); }
if (mode === 'hang') setImmediate(() => stuck());
if (mode === 'idle') setTimeout(() => {}, 50);
if (mode === 'report') {
  const outcome = await reporter.reportError(new Error('backend said 500'), { endpoint: '/v1/chat' });
  process.stdout.write(JSON.stringify(outcome) + '\\n');
}
`;

interface World {
  readonly conf: string;
  readonly socket: string;
  readonly crashDir: string;
  readonly optIn: string;
}

function world(): World {
  const base = join(dir, `w${seq++}`);
  const crashDir = join(base, 'crash');
  mkdirSync(crashDir, { recursive: true });
  const w = {
    conf: join(base, 'telemetrics.conf'),
    socket: join(base, 'sock'),
    crashDir,
    optIn: join(base, 'opt-in'),
  };
  writeFileSync(w.optIn, '');
  writeFileSync(
    w.conf,
    `[settings]\nsocket_path=${w.socket}\nopt_in_file=${w.optIn}\ncrash_dir=${crashDir}\n`,
  );
  return w;
}

async function run(w: World, mode: string, env: Record<string, string> = {}) {
  const program = join(dir, 'program.mjs');
  writeFileSync(program, PROGRAM);
  const child = spawn(process.execPath, [program, mode], {
    env: { ...process.env, CONF: w.conf, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const [code, signal] = await once(child, 'exit');
  return { code: code as number, signal: signal as string | null, stdout, stderr };
}

function decode(bytes: Buffer) {
  const frame = decodeFrame(bytes);
  assert.ok(frame.ok, frame.ok ? '' : frame.detail);
  return {
    headers: frame.value.headers,
    report: JSON.parse(Buffer.from(frame.value.payload).toString('latin1')),
  };
}

test('an uncaught exception is sent to telemd, then Node exits as always (code 1, error printed)', async () => {
  const w = world();
  await using telemd = await listenForFrames(w.socket);
  const result = await run(w, 'throw');
  assert.equal(result.code, 1);
  assert.match(result.stderr, /TypeError: boom ü\n {4}at deepest/);
  assert.equal(telemd.connections.length, 1);
  const { headers, report } = decode(await telemd.connections[0]!);
  assert.equal(headers.classification, 'org.telemetrics/node/crash');
  assert.equal(headers.severity, '4');
  assert.equal(report.error.name, 'TypeError');
  assert.equal(report.error.message, 'boom ü');
  assert.match(report.error.stack, /at deepest \(file:\/\/.*program\.mjs:\d+:\d+\)/);
  assert.equal(report.resource['service.name'], 'demo-server');
  assert.equal(report.resource.source, 'server');
  assert.equal(report.resource.appVersion, '1.2.3');
  assert.equal(report.context.modelId, 'llama3');
  assert.deepEqual(readdirSync(w.crashDir), []);
});

test('an unhandled rejection is a rejection report, and the exit code stays 1', async () => {
  const w = world();
  await using telemd = await listenForFrames(w.socket);
  const result = await run(w, 'reject');
  assert.equal(result.code, 1);
  const { headers, report } = decode(await telemd.connections[0]!);
  assert.equal(headers.classification, 'org.telemetrics/node/rejection');
  assert.equal(report.error.name, 'RangeError');
});

// Node gives the monitor the origin 'unhandledRejection' for these: the entry module's evaluation
// is a promise. The program died of its own throw all the same: a crash (fatal-kind.ts).
for (const mode of ['toplevel', 'tla-reject', 'tla-then-throw']) {
  test(`the entry ES module failing (${mode}) is a crash report, not a rejection; Node still exits 1`, async () => {
    const w = world();
    await using telemd = await listenForFrames(w.socket);
    const result = await run(w, mode);
    assert.equal(result.code, 1);
    assert.equal(telemd.connections.length, 1);
    const { headers, report } = decode(await telemd.connections[0]!);
    assert.equal(headers.classification, 'org.telemetrics/node/crash');
    assert.equal(report.kind, 'crash');
    assert.equal(report.error.name, mode === 'tla-reject' ? 'RangeError' : 'TypeError');
  });
}

test('a rejection nobody handles, from a callback, is still a rejection report', async () => {
  const w = world();
  await using telemd = await listenForFrames(w.socket);
  const result = await run(w, 'reject-later');
  assert.equal(result.code, 1);
  const { headers } = decode(await telemd.connections[0]!);
  assert.equal(headers.classification, 'org.telemetrics/node/rejection');
});

test('without telemd the crash waits in crash_dir as a frame', async () => {
  const w = world();
  const result = await run(w, 'throw');
  assert.equal(result.code, 1);
  const files = readdirSync(w.crashDir);
  assert.equal(files.length, 1);
  assert.match(files[0]!, /^[0-9a-f]{32}\.frame$/);
  const { headers, report } = decode(readFileSync(join(w.crashDir, files[0]!)));
  assert.equal(headers.classification, 'org.telemetrics/node/crash');
  assert.equal(`${headers.event_id}.frame`, files[0]);
  assert.equal(report.error.message, 'boom ü');
});

test('reportError sends a handled error and leaves nothing keeping the program alive', async () => {
  const w = world();
  await using telemd = await listenForFrames(w.socket);
  const result = await run(w, 'report');
  assert.equal(result.code, 0);
  const outcome = JSON.parse(result.stdout.split('\n')[1]!);
  assert.equal(outcome.fate, 'sent');
  const { headers, report } = decode(await telemd.connections[0]!);
  assert.equal(headers.classification, 'org.telemetrics/node/error');
  assert.equal(headers.severity, '2');
  assert.equal(report.context.endpoint, '/v1/chat');
  assert.equal(report.context.modelId, 'llama3');
});

test('reportError without telemd keeps the report in crash_dir', async () => {
  const w = world();
  const result = await run(w, 'report');
  const outcome = JSON.parse(result.stdout.split('\n')[1]!);
  assert.equal(outcome.fate, 'kept');
  assert.deepEqual(readdirSync(w.crashDir), [`${outcome.eventId}.frame`]);
});

test('TELEMETRICS_CRASH_REPORT=0: nothing sent, nothing written, Node still exits 1', async () => {
  const w = world();
  await using telemd = await listenForFrames(w.socket);
  const result = await run(w, 'throw', { TELEMETRICS_CRASH_REPORT: '0' });
  assert.equal(result.code, 1);
  assert.deepEqual(JSON.parse(result.stdout.split('\n')[0]!), {
    enabled: false,
    reason: 'TELEMETRICS_CRASH_REPORT=0',
  });
  assert.equal(telemd.connections.length, 0);
  assert.deepEqual(readdirSync(w.crashDir), []);
});

test('opted out: nothing sent, nothing written', async () => {
  const w = world();
  rmSync(w.optIn);
  const result = await run(w, 'throw');
  assert.equal(result.code, 1);
  assert.match(JSON.parse(result.stdout.split('\n')[0]!).reason, /^not opted in/);
  assert.deepEqual(readdirSync(w.crashDir), []);
});

test('hang watchdog: a busy main thread is reported with its own stack, then ended', async () => {
  const w = world();
  await using telemd = await listenForFrames(w.socket);
  const result = await run(w, 'hang', {
    WATCHDOG: JSON.stringify({ deadlineMs: 300, exit: true }),
    SPIN_MS: '60000',
  });
  assert.equal(result.signal, 'SIGTERM');
  assert.equal(telemd.connections.length, 1);
  const { headers, report } = decode(await telemd.connections[0]!);
  assert.equal(headers.classification, 'org.telemetrics/node/hang');
  assert.equal(headers.severity, '3');
  assert.equal(report.error.name, 'Hang');
  // The main thread's frames, innermost first, from the program's own file.
  assert.match(report.error.stack, /^Hang: the main thread did not answer for \d+ ms/);
  assert.match(report.error.stack, /\n {4}at spin \(file:\/\/.*program\.mjs:\d+:\d+\)\n {4}at stuck \(/);
  assert.ok(Number(report.context.blockedMs) >= 300);
});

test('hang watchdog without exit: reported once, and the program finishes normally', async () => {
  // 5 s of spinning: room for the report to be sent from the worker before the program ends, under load.
  const w = world();
  await using telemd = await listenForFrames(w.socket);
  const result = await run(w, 'hang', { WATCHDOG: JSON.stringify({ deadlineMs: 300 }), SPIN_MS: '5000' });
  assert.equal(result.code, 0);
  assert.equal(telemd.connections.length, 1);
  assert.equal(decode(await telemd.connections[0]!).headers.classification, 'org.telemetrics/node/hang');
});

test('hang watchdog on an idle program: no report, and it does not keep the program alive', async () => {
  const w = world();
  await using telemd = await listenForFrames(w.socket);
  const result = await run(w, 'idle', { WATCHDOG: JSON.stringify({ deadlineMs: 300 }) });
  assert.equal(result.code, 0);
  assert.equal(telemd.connections.length, 0);
});
