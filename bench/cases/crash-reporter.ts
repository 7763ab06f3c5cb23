// (h) The cost of crash reporting. h.crash-reporter: a Node program with
// installCrashReporter (and with its hang watchdog) against the same program
// without, in the same run: wall and CPU time and peak RSS of the whole
// process (run-stat), and the time of the import plus install as the program
// measures it. h.otlp-export: telemd with OTLP export on against telemd
// without, in the same run: exec -> accepting, and idle RSS once records went
// to both targets (the OpenTelemetry encoder loaded).
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type BenchCase, type BenchEnv, type Metric, metric, type Outcome, skip } from '../harness/case.ts';
import { benchFrame, seededRandom } from '../harness/records.ts';
import { sendFrame } from '../harness/socket-wait.ts';
import { startDaemonUnderTest } from '../harness/telemd.ts';

const LIBTELEMETRY = fileURLToPath(
  new URL('../../packages/libtelemetry/dist/crash-reporter/index.js', import.meta.url),
);

/** The program: the same work in all three variants; only what comes before it differs. */
function program(variant: 'bare' | 'reporter' | 'watchdog', conf: string): string {
  const install =
    variant === 'bare'
      ? ''
      : `const { installCrashReporter } = await import(${JSON.stringify(LIBTELEMETRY)});
installCrashReporter({ serviceName: 'bench', appVersion: '1', source: 'cli', configFile: ${JSON.stringify(conf)}${
          variant === 'watchdog' ? ', hangWatchdog: { deadlineMs: 10000 }' : ''
        } });`;
  return `const t0 = performance.now();
${install}
const installMs = performance.now() - t0;
// A program that lives a little: long enough for the watchdog's worker to start and ping.
setTimeout(() => {
  process.stderr.write(JSON.stringify({ installMs, rssMiB: process.memoryUsage().rss / 1048576 }) + '\\n');
}, 300);
`;
}

async function runCrashReporter(env: BenchEnv): Promise<Outcome> {
  if (typeof env.runStat === 'string') return skip(env.runStat);
  const dir = env.freshDir('tmpfs');
  const conf = path.join(dir, 'telemetrics.conf');
  // Opted in, telemd absent: installing does all its work; nothing is ever sent.
  writeFileSync(path.join(dir, 'opt-in'), '');
  writeFileSync(
    conf,
    `[settings]\nsocket_path=${dir}/none\nopt_in_file=${dir}/opt-in\ncrash_dir=${dir}/crash\n`,
  );
  const metrics: Metric[] = [];
  const seen: Record<string, { wallMs: number; cpuMs: number; peakRssMiB: number }> = {};
  for (const variant of ['bare', 'reporter', 'watchdog'] as const) {
    const file = path.join(dir, `${variant}.mjs`);
    writeFileSync(file, program(variant, conf));
    const stat = await env.runStat.run(process.execPath, [file]);
    if (stat.exitCode !== 0) return skip(`${variant} program exited ${stat.exitCode}: ${stat.stderr}`);
    const report = JSON.parse(stat.stderr.trim().split('\n').at(-1)!) as { installMs: number };
    seen[variant] = stat;
    metrics.push(
      metric(`${variant}_wall`, 'ms', stat.wallMs),
      metric(`${variant}_cpu`, 'ms', stat.cpuMs),
      metric(`${variant}_peak_rss`, 'MiB', stat.peakRssMiB),
    );
    if (variant !== 'bare') metrics.push(metric(`${variant}_import_install`, 'ms', report.installMs));
  }
  const bare = seen['bare']!;
  for (const variant of ['reporter', 'watchdog'] as const) {
    const s = seen[variant]!;
    metrics.push(
      metric(`${variant}_extra_cpu`, 'ms', s.cpuMs - bare.cpuMs),
      metric(`${variant}_extra_peak_rss`, 'MiB', s.peakRssMiB - bare.peakRssMiB),
    );
  }
  return { kind: 'ok', metrics };
}

/** An OTLP/HTTP receiver that accepts everything: the export's far end, as cheap as can be. */
async function otlpStandIn(): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/logs`,
    requests: () => requests,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

const RECORDS = 20;

async function telemdFigures(env: BenchEnv, otlpUrl: string | undefined): Promise<Metric[] | string> {
  await env.sink.reset();
  const telemd = startDaemonUnderTest(env, {
    root: env.freshDir('tmpfs'),
    server: env.sink.url,
    extra: otlpUrl === undefined ? {} : { otlp_endpoint: otlpUrl },
  });
  try {
    const accepted = await telemd.waitAccepting(env.caseTimeoutMs);
    if (accepted === null) return `no accepting socket: ${telemd.exitDescription()}`;
    accepted.socket.destroy();
    const random = seededRandom(7);
    // One at a time, as probes send: no burst policy starts.
    for (let i = 0; i < RECORDS; i++) {
      await sendFrame(telemd.socketPath, benchFrame(i, Math.floor(Date.now() / 1000), random));
      if (!(await env.sink.awaitCount(i + 1, env.caseTimeoutMs)).reached) return 'records did not arrive';
    }
    await delay(env.settleMs);
    const memory = telemd.memory();
    const suffix = otlpUrl === undefined ? 'off' : 'on';
    return [
      metric(`exec_to_accept_${suffix}`, 'ms', Number(accepted.atNs - telemd.spawnedAtNs) / 1e6),
      ...(memory === null ? [] : [metric(`idle_rss_${suffix}`, 'MiB', memory.rssMiB)]),
    ];
  } finally {
    await telemd.stop();
  }
}

async function runOtlpExport(env: BenchEnv): Promise<Outcome> {
  if (env.unavailable.telemd !== null) return skip(env.unavailable.telemd);
  const otlp = await otlpStandIn();
  try {
    const off = await telemdFigures(env, undefined);
    if (typeof off === 'string') return skip(off);
    const on = await telemdFigures(env, otlp.url);
    if (typeof on === 'string') return skip(on);
    if (otlp.requests() === 0) return skip('telemd sent nothing to the OTLP stand-in');
    return {
      kind: 'ok',
      metrics: [...off, ...on],
      notes: [`${otlp.requests()} OTLP requests for ${RECORDS} records`],
    };
  } finally {
    await otlp.close();
  }
}

export function crashReporterCases(): BenchCase[] {
  return [
    {
      id: 'h.crash-reporter',
      title: 'installCrashReporter: a Node program with it (and its watchdog) vs without',
      references: {
        reporter_extra_cpu: { target: 'a few ms (config, opt-in; facts only on a crash)' },
      },
      run: runCrashReporter,
    },
    { id: 'h.otlp-export', title: 'telemd with OTLP export vs without', run: runOtlpExport },
  ];
}
