// (d, e) exec -> accepting socket, first record's arrival and idle RSS, for telemd started directly
// and under systemd-socket-activate; and the bare-node floor measured in the same run.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { type BenchCase, type BenchEnv, metric, type Metric, type Outcome, skip } from '../harness/case.ts';
import { readCpuMs, readMemory } from '../harness/proc-status.ts';
import { benchFrame, seededRandom } from '../harness/records.ts';
import { Senders } from '../harness/senders.ts';
import { sendFrame, sendOn, waitAccepting } from '../harness/socket-wait.ts';
import { msBetween, startDaemonUnderTest } from '../harness/telemd.ts';

/** How long the first record may take before it is counted as lost (far above any start-up). */
const FIRST_RECORD_WAIT_MS = 10_000;

async function runTelemdStartup(
  env: BenchEnv,
  activation: 'direct' | 'socket-activate',
  compileCache = false,
): Promise<Outcome> {
  if (env.unavailable.telemd !== null) return skip(env.unavailable.telemd);
  if (activation === 'socket-activate' && !env.socketActivate) {
    return skip('systemd-socket-activate not found (Debian package systemd)');
  }
  await env.sink.reset();
  await using telemd = startDaemonUnderTest(env, {
    root: env.freshDir('tmpfs'),
    server: env.sink.url,
    activation,
    // one directory per bench run, as systemd's CacheDirectory: the first run fills it
    ...(compileCache ? { compileCache: path.join(env.workDir, 'compile-cache.telemd') } : {}),
  });
  const accepted = await telemd.waitAccepting(env.caseTimeoutMs);
  if (accepted === null) return skip(`no accepting socket: ${telemd.exitDescription()}`);
  const cpuAtAccept = readCpuMs(telemd.pid);
  const sentAt = process.hrtime.bigint();
  await sendOn(accepted.socket, benchFrame(0, Math.floor(Date.now() / 1000), seededRandom(3)));
  const metrics: Metric[] = [];
  // under activation the socket belongs to systemd-socket-activate: connect succeeds at once
  if (activation === 'direct') {
    metrics.push(metric('exec_to_accept', 'ms', msBetween(telemd.spawnedAtNs, accepted.atNs)));
    if (cpuAtAccept !== null) metrics.push(metric('cpu_to_accept', 'ms', cpuAtAccept));
  }
  const notes: string[] = [];
  const state = await env.sink.awaitCount(1, Math.min(env.caseTimeoutMs, FIRST_RECORD_WAIT_MS));
  if (state.reached && state.firstNs !== null) {
    metrics.push(metric('exec_to_first_record', 'ms', msBetween(telemd.spawnedAtNs, state.firstNs)));
    metrics.push(metric('send_to_arrival', 'ms', msBetween(sentAt, state.firstNs)));
  } else {
    // a record sent on the first accepted connection is lost: say so, and go on measuring RSS
    notes.push(
      `the record sent on the first accepted connection never arrived within ${FIRST_RECORD_WAIT_MS} ms`,
    );
    await sendFrame(telemd.socketPath, benchFrame(1, Math.floor(Date.now() / 1000), seededRandom(4)));
    const retry = await env.sink.awaitCount(1, env.caseTimeoutMs);
    if (!retry.reached) return skip(`no record reached the sink (${telemd.exitDescription()})`);
  }
  await delay(env.settleMs);
  const memory = telemd.memory();
  if (memory !== null) metrics.push(metric('idle_rss', 'MiB', memory.rssMiB));
  // An idle daemon that has done some work: V8 optimises what ran a few times (the llhttp
  // parser in undici tiered up after the 3rd response and kept ~10 MiB), which RSS after a
  // single record never shows. Paced like probes, one record at a time, so no burst policy
  // (the spool's writer thread) starts.
  const warm = await sendOneAtATime(env, telemd.socketPath, WARM_RECORDS);
  if (warm !== null) notes.push(warm);
  await delay(env.settleMs);
  const warmMemory = telemd.memory();
  if (warm === null && warmMemory !== null) metrics.push(metric('idle_rss_warm', 'MiB', warmMemory.rssMiB));
  if (warmMemory !== null) metrics.push(metric('peak_rss', 'MiB', warmMemory.peakMiB));
  return { kind: 'ok', metrics, notes };
}

/** Records sent after the first before `idle_rss_warm` is read. */
const WARM_RECORDS = 20;

/** Sends `count` records, each once the previous one reached the sink; a note when one does not. */
async function sendOneAtATime(env: BenchEnv, socketPath: string, count: number): Promise<string | null> {
  const base = (await env.sink.awaitCount(0, 0)).count;
  const random = seededRandom(5);
  for (let i = 1; i <= count; i++) {
    await sendFrame(socketPath, benchFrame(100 + i, Math.floor(Date.now() / 1000), random));
    const state = await env.sink.awaitCount(base + i, env.caseTimeoutMs);
    if (!state.reached) return `warm-up record ${i} of ${count} never reached the sink`;
  }
  return null;
}

/** Bare node listening on a unix socket: the floor for exec -> accepting and idle RSS. */
async function runNodeListen(env: BenchEnv): Promise<Outcome> {
  const socketPath = path.join(env.freshDir('tmpfs'), 'floor.sock');
  const spawnedAt = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    ['-e', "require('node:net').createServer((s) => s.resume()).listen(process.argv[1])", socketPath],
    { stdio: 'ignore' },
  );
  let alive = true;
  child.once('exit', () => {
    alive = false;
  });
  try {
    const deadline = process.hrtime.bigint() + BigInt(env.caseTimeoutMs) * 1_000_000n;
    const accepted = await waitAccepting(socketPath, deadline, () => alive);
    if (accepted === null) return skip('bare node never accepted on its socket');
    const cpuAtAccept = readCpuMs(child.pid ?? -1);
    accepted.socket.destroy();
    await delay(env.settleMs);
    const memory = readMemory(child.pid ?? -1);
    const metrics = [metric('exec_to_accept', 'ms', msBetween(spawnedAt, accepted.atNs))];
    if (cpuAtAccept !== null) metrics.push(metric('cpu_to_accept', 'ms', cpuAtAccept));
    if (memory !== null) metrics.push(metric('idle_rss', 'MiB', memory.rssMiB));
    return { kind: 'ok', metrics };
  } finally {
    if (alive) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
}

async function runNodeE0(env: BenchEnv): Promise<Outcome> {
  if (typeof env.runStat === 'string') return skip(env.runStat);
  const stat = await env.runStat.run(process.execPath, ['-e', '0']);
  return {
    kind: 'ok',
    metrics: [
      metric('wall', 'ms', stat.wallMs),
      metric('cpu', 'ms', stat.cpuMs),
      metric('peak_rss', 'MiB', stat.peakRssMiB),
    ],
  };
}

/** Plain node reading and dropping frames from the same senders: the ceiling for case (a). */
async function runNodeIntake(env: BenchEnv, senderCount: number): Promise<Outcome> {
  const total = env.quick ? 200 : 10_000;
  const socketPath = path.join(env.freshDir('tmpfs'), 'floor.sock');
  const child = spawn(
    process.execPath,
    [new URL('../harness/floor-listener.ts', import.meta.url).pathname, socketPath, String(total)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const deadline = process.hrtime.bigint() + BigInt(env.caseTimeoutMs) * 1_000_000n;
    const accepted = await waitAccepting(socketPath, deadline, () => child.exitCode === null);
    if (accepted === null) return skip('bare node listener never accepted');
    accepted.socket.destroy();
    using senders = await Senders.prepare({
      socketPath,
      senders: senderCount,
      total,
      seed: 99,
      cSenderExe: env.cSenderExe,
      workDir: env.workDir,
    });
    child.stdout.setEncoding('utf8');
    const done = once(child.stdout, 'data') as Promise<[string]>;
    const sent = await senders.go();
    const [line] = await done;
    const doneNs = BigInt(line.trim().split(' ')[1] ?? '0');
    return {
      kind: 'ok',
      metrics: [metric('read_rps', 'rec/s', total / (msBetween(sent.startNs, doneNs) / 1000))],
    };
  } finally {
    child.kill('SIGKILL');
  }
}

export function floorCases(): BenchCase[] {
  return [
    {
      id: 'floor.node-intake.2',
      title: 'floor: bare node reads and drops, 2 senders',
      run: (env) => runNodeIntake(env, 2),
    },
    { id: 'floor.node-e0', title: 'floor: node -e 0', run: runNodeE0 },
    { id: 'floor.node-listen', title: 'floor: bare node unix listen', run: runNodeListen },
  ];
}

export function startupCases(): BenchCase[] {
  return [
    {
      id: 'e.startup.direct',
      title: 'telemd start, direct',
      references: {
        exec_to_accept: { c: '2.3 ms', target: '<= node+15ms' },
        idle_rss_warm: { c: '2.6 MB', target: '<= 1.25x node' },
      },
      run: (env) => runTelemdStartup(env, 'direct'),
    },
    {
      id: 'e.startup.compile-cache',
      title: 'telemd start, direct, with the compile cache telemd.service gives it',
      run: (env) => runTelemdStartup(env, 'direct', true),
    },
    {
      id: 'e.startup.socket-activate',
      title: 'telemd start, socket-activated',
      run: (env) => runTelemdStartup(env, 'socket-activate'),
    },
  ];
}
