// (f) hprobe wall time and (g) crashprobe time and peak RSS, each as one short-lived process
// measured by run-stat (wait4 rusage).
import { spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { type BenchCase, type BenchEnv, metric, type Outcome, skip } from '../harness/case.ts';
import { type BigCore, bigCore, vectorCores } from '../harness/cores.ts';
import type { RunStat } from '../harness/run-stat.ts';
import { Telemd, TOOLS } from '../harness/telemd.ts';

/** A config root the unprivileged crashprobe (it drops root before reading) can read. */
function readableRoot(env: BenchEnv): string {
  const root = env.freshDir('tmpfs');
  chmodSync(root, 0o755);
  return root;
}

function exitNote(stat: RunStat, frames: number): string {
  const firstError = stat.stderr.split('\n').find((l) => l.startsWith('<3>') || l.startsWith('<2>'));
  return `exit ${stat.exitCode}, ${frames} frame(s) sent${firstError === undefined ? '' : `: ${firstError}`}`;
}

/**
 * Runs fn while a bare listener on socketPath swallows frames: the probe's own cost is measured,
 * not telemd's, and the probe ends as it would in production (record sent).
 */
async function withSwallowingSocket<T>(
  socketPath: string,
  fn: () => Promise<T>,
): Promise<{ result: T; frames: number }> {
  let frames = 0;
  const server = net.createServer((socket) => {
    socket.resume();
    socket.on('error', () => socket.destroy());
    socket.once('end', () => {
      frames++;
    });
  });
  server.listen(socketPath);
  await once(server, 'listening');
  // the probe may have dropped privileges: let any user connect
  chmodSync(socketPath, 0o666);
  try {
    const result = await fn();
    return { result, frames };
  } finally {
    server.close();
  }
}

async function runHprobe(env: BenchEnv, compileCache = false): Promise<Outcome> {
  if (env.unavailable.hprobe !== null) return skip(env.unavailable.hprobe);
  if (typeof env.runStat === 'string') return skip(env.runStat);
  const layout = Telemd.layout({ root: readableRoot(env), server: env.sink.url });
  const runStat = env.runStat;
  const { result: stat, frames } = await withSwallowingSocket(layout.socket, () =>
    runStat.run(process.execPath, [TOOLS.hprobe, '-f', layout.config], {
      // hprobe.service's CacheDirectory; run by hand, hprobe has none
      ...(compileCache
        ? { env: { ...process.env, NODE_COMPILE_CACHE: path.join(env.workDir, 'compile-cache.hprobe') } }
        : {}),
    }),
  );
  return {
    kind: 'ok',
    metrics: [
      metric('wall', 'ms', stat.wallMs),
      metric('cpu', 'ms', stat.cpuMs),
      metric('peak_rss', 'MiB', stat.peakRssMiB),
    ],
    notes: [exitNote(stat, frames)],
  };
}

function crashArgs(config: string, name: string, exe: string): string[] {
  return [TOOLS.crashprobe, '-f', config, '-p', name, '-E', exe.replaceAll('/', '!'), '-s', '11', '-v'];
}

async function runVectorCore(env: BenchEnv, name: string): Promise<Outcome> {
  if (env.unavailable.crashprobe !== null) return skip(env.unavailable.crashprobe);
  if (typeof env.runStat === 'string') return skip(env.runStat);
  const core = vectorCores(env.workDir).get(name);
  if (core === undefined) return skip(`no vector core for ${name}`);
  const layout = Telemd.layout({ root: readableRoot(env), server: env.sink.url });
  const runStat = env.runStat;
  const { result: stat, frames } = await withSwallowingSocket(layout.socket, () =>
    runStat.run(process.execPath, [...crashArgs(layout.config, name, `/usr/bin/${name}`), '-c', core]),
  );
  return {
    kind: 'ok',
    metrics: [metric('wall', 'ms', stat.wallMs), metric('peak_rss', 'MiB', stat.peakRssMiB)],
    notes: [exitNote(stat, frames)],
  };
}

async function runBigCore(env: BenchEnv): Promise<Outcome> {
  if (env.unavailable.crashprobe !== null) return skip(env.unavailable.crashprobe);
  if (typeof env.runStat === 'string') return skip(env.runStat);
  if (env.quick) return skip('--quick: the 1 GiB core is not generated');
  const core: BigCore | string = await bigCore(env.workDir);
  if (typeof core === 'string') return skip(core);
  const root = readableRoot(env);
  const layout = Telemd.layout({ root, server: env.sink.url });
  // The program lives in workDir, outside /usr: without the override crashprobe's privacy filter
  // sends crash/unknown without reading the core (what this case used to measure, ~80 ms).
  writeFileSync(path.join(root, 'no-privacy-filters'), '');
  // the core reaches crashprobe through a pipe, as kernel.core_pattern delivers it
  const cat = spawn('cat', [core.path], { stdio: ['ignore', 'pipe', 'ignore'] });
  const runStat = env.runStat;
  try {
    const { result: stat, frames } = await withSwallowingSocket(layout.socket, () =>
      runStat.run(process.execPath, crashArgs(layout.config, core.name, core.exe), { stdin: cat.stdout }),
    );
    // Only an analysed core counts: a refused core or a filtered crash would time something else.
    if (stat.exitCode !== 0 || frames !== 1) return skip(`core not analysed: ${exitNote(stat, frames)}`);
    return {
      kind: 'ok',
      metrics: [
        metric('wall', 'ms', stat.wallMs),
        metric('peak_rss', 'MiB', stat.peakRssMiB),
        // the crashing thread's stack is the last segment but vsyscall: the whole core is read
        metric('throughput', 'MiB/s', core.bytes / 2 ** 20 / (stat.wallMs / 1000)),
      ],
      notes: [exitNote(stat, frames), `core ${(core.bytes / 2 ** 30).toFixed(2)} GiB, kernel layout`],
    };
  } finally {
    cat.kill('SIGKILL');
  }
}

export function probeCases(): BenchCase[] {
  const cores = ['crashme-g', 'crashme-O2', 'crashme-strip', 'crashme-mt'];
  return [
    {
      id: 'f.hprobe',
      title: 'hprobe wall time',
      references: { wall: { target: '<= node+15ms' } },
      run: (env: BenchEnv) => runHprobe(env),
    },
    {
      id: 'f.hprobe.compile-cache',
      title: 'hprobe wall time with the compile cache hprobe.service gives it',
      run: (env: BenchEnv) => runHprobe(env, true),
    },
    ...cores.map((name) => ({
      id: `g.crashprobe.${name}`,
      title: `crashprobe ${name} core (-c)`,
      run: (env: BenchEnv) => runVectorCore(env, name),
    })),
    { id: 'g.crashprobe.1gib-pipe', title: 'crashprobe >=1 GiB core via pipe', run: runBigCore },
  ];
}
