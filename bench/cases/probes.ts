// (f) hprobe wall time and (g) crashprobe time and peak RSS, each as one short-lived process
// measured by run-stat (wait4 rusage).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { type BenchCase, type BenchEnv, metric, type Outcome, skip } from '../harness/case.ts';
import { type BigCore, bigCore, vectorCores } from '../harness/cores.ts';
import { Telemd, TOOLS } from '../harness/telemd.ts';

async function runHprobe(env: BenchEnv): Promise<Outcome> {
  if (env.unavailable.hprobe !== null) return skip(env.unavailable.hprobe);
  if (typeof env.runStat === 'string') return skip(env.runStat);
  // hprobe's own cost only: a bare listener that swallows the frame stands in for telemd
  const root = env.freshDir('tmpfs');
  const layout = Telemd.layout({ root, server: env.sink.url });
  let frames = 0;
  const server = net.createServer((socket) => {
    socket.resume();
    socket.once('end', () => {
      frames++;
    });
  });
  server.listen(layout.socket);
  await once(server, 'listening');
  try {
    const stat = await env.runStat.run(process.execPath, [TOOLS.hprobe, '-f', layout.config]);
    const notes =
      stat.exitCode === 0 ? [] : [`hprobe exit ${stat.exitCode}: ${stat.stderr.trim().split('\n')[0]}`];
    if (frames === 0) notes.push('no frame received');
    return {
      kind: 'ok',
      metrics: [metric('wall', 'ms', stat.wallMs), metric('peak_rss', 'MiB', stat.peakRssMiB)],
      notes,
    };
  } finally {
    server.close();
  }
}

function crashArgs(config: string, name: string, exe: string): string[] {
  return [TOOLS.crashprobe, '-f', config, '-p', name, '-E', exe.replaceAll('/', '!'), '-s', '11', '-v'];
}

async function runVectorCore(env: BenchEnv, name: string): Promise<Outcome> {
  if (env.unavailable.crashprobe !== null) return skip(env.unavailable.crashprobe);
  if (typeof env.runStat === 'string') return skip(env.runStat);
  const core = vectorCores(env.workDir).get(name);
  if (core === undefined) return skip(`no vector core for ${name}`);
  // no telemd: the socket path does not exist, so the send fails; the time is what counts
  const layout = Telemd.layout({ root: env.freshDir('tmpfs'), server: env.sink.url });
  const stat = await env.runStat.run(process.execPath, [
    ...crashArgs(layout.config, name, `/usr/bin/${name}`),
    '-c',
    core,
  ]);
  return {
    kind: 'ok',
    metrics: [metric('wall', 'ms', stat.wallMs), metric('peak_rss', 'MiB', stat.peakRssMiB)],
    notes: [`exit ${stat.exitCode}`],
  };
}

async function runBigCore(env: BenchEnv): Promise<Outcome> {
  if (env.unavailable.crashprobe !== null) return skip(env.unavailable.crashprobe);
  if (typeof env.runStat === 'string') return skip(env.runStat);
  if (env.quick) return skip('--quick: the 1 GiB core is not generated');
  const core: BigCore | string = await bigCore(env.workDir);
  if (typeof core === 'string') return skip(core);
  const layout = Telemd.layout({ root: env.freshDir('tmpfs'), server: env.sink.url });
  // the core reaches crashprobe through a pipe, as kernel.core_pattern delivers it
  const cat = spawn('cat', [core.path], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const stat = await env.runStat.run(process.execPath, crashArgs(layout.config, core.name, core.exe), {
      stdin: cat.stdout,
    });
    return {
      kind: 'ok',
      metrics: [
        metric('wall', 'ms', stat.wallMs),
        metric('peak_rss', 'MiB', stat.peakRssMiB),
        metric('throughput', 'MiB/s', core.bytes / 2 ** 20 / (stat.wallMs / 1000)),
      ],
      notes: [`exit ${stat.exitCode}`, `core ${(core.bytes / 2 ** 30).toFixed(2)} GiB`],
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
      run: runHprobe,
    },
    ...cores.map((name) => ({
      id: `g.crashprobe.${name}`,
      title: `crashprobe ${name} core (-c)`,
      run: (env: BenchEnv) => runVectorCore(env, name),
    })),
    { id: 'g.crashprobe.1gib-pipe', title: 'crashprobe >=1 GiB core via pipe', run: runBigCore },
  ];
}
