// npm run bench: runs every case several times interleaved, prints a table with median and spread
// and the issue 8 target checks, and appends JSON lines to bench/results/results.jsonl.
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { collectorCases } from './cases/collector.ts';
import { crashReporterCases } from './cases/crash-reporter.ts';
import { deliveryCases } from './cases/delivery.ts';
import { intakeCases } from './cases/intake.ts';
import { liveCases } from './cases/live.ts';
import { probeCases } from './cases/probes.ts';
import { floorCases, startupCases } from './cases/startup.ts';
import { webCases } from './cases/web.ts';
import type { BenchCase, BenchEnv, TempKind } from './harness/case.ts';
import { filesystemType, gitCommit, machineInfo, type RunContext } from './harness/machine.ts';
import { type CaseResult, checkTargets, formatTable, jsonLine, resultRows } from './harness/report.ts';
import { compileC } from './harness/compile-c.ts';
import { buildRunStat } from './harness/run-stat.ts';
import { Sink } from './harness/sink.ts';
import {
  hasSocketActivate,
  killAllDaemons,
  REPO_ROOT,
  TELEMD_NODE_FLAGS,
  TOOLS,
  toolUnavailable,
} from './harness/telemd.ts';

const HELP = `usage: node bench/run.ts [--quick] [--runs N] [--only PREFIX[,PREFIX...]] [--results FILE]

Benchmarks telemd, hprobe and crashprobe with real processes on this machine
(loopback and unix sockets only) and compares them with the C figures of
issue 8 and with bare node measured in the same run.

  --quick          small counts, one run (CI smoke mode); no 1 GiB core
  --runs N         runs per case, interleaved (default 5, --quick 1)
  --only P,...     only cases whose id starts with one of the prefixes
                   (a.intake, b.delivery, c.live, e.startup, f.hprobe,
                   g.crashprobe, h.crash-reporter, h.otlp-export,
                   h.collector, h.web, floor)
  --results FILE   append JSON lines here (default bench/results/results.jsonl)
  --daemon D       the daemon under test: telemd (default), reference (a
                   minimal Node daemon in bench/harness: the floor for
                   intake and delivery), or a path to a main.js
  --profile DIR    run the daemon with --cpu-prof, profiles into DIR (one
                   per daemon start; combine with --only and --runs 1)
  --node-senders   send from node processes instead of the C sender
                   (node tops out near 6k connections/s on 2 cores)
  -h, --help       this text

Build first (npm run bench does). Cases whose tool is still a stub are
skipped with the reason printed.`;

function tempRoots(): Record<TempKind, string> {
  const disk = os.tmpdir();
  const shm = '/dev/shm';
  const tmpfs = existsSync(shm) && filesystemType(shm) === 'tmpfs' ? shm : disk;
  return { tmpfs, disk };
}

async function main(): Promise<number> {
  let values: {
    quick?: boolean;
    runs?: string;
    only?: string;
    results?: string;
    daemon?: string;
    'node-senders'?: boolean;
    profile?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        quick: { type: 'boolean' },
        runs: { type: 'string' },
        only: { type: 'string' },
        results: { type: 'string' },
        daemon: { type: 'string' },
        'node-senders': { type: 'boolean' },
        profile: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}; try --help\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const quick = values.quick ?? false;
  const runs = values.runs === undefined ? (quick ? 1 : 5) : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write('bench: --runs takes a positive integer; try --help\n');
    return 2;
  }
  const prefixes = values.only?.split(',').filter((p) => p !== '') ?? [];
  const daemon = values.daemon ?? 'telemd';
  const daemonMain =
    daemon === 'telemd' ? TOOLS.telemd : daemon === 'reference' ? TOOLS.reference : path.resolve(daemon);
  const resultsFile = values.results ?? path.join(REPO_ROOT, 'bench/results/results.jsonl');

  const roots = tempRoots();
  const base: Record<TempKind, string> = {
    tmpfs: mkdtempSync(path.join(roots.tmpfs, 'telem-bench-')),
    disk: mkdtempSync(path.join(roots.disk, 'telem-bench-')),
  };
  const workDir = mkdtempSync(path.join(base.tmpfs, 'work-'));
  // crashprobe drops to an unprivileged user before it opens the core and config: let it read them
  for (const dir of [base.tmpfs, base.disk, workDir]) chmodSync(dir, 0o755);
  const cSender = values['node-senders'] ? null : compileC('sender', workDir);
  if (cSender !== null && 'error' in cSender)
    process.stderr.write(`bench: ${cSender.error}; sending from node\n`);
  const context: RunContext = {
    machine: machineInfo(),
    node: process.version,
    commit: gitCommit(REPO_ROOT),
    timestamp: new Date().toISOString(),
    filesystems: { tmpfs: filesystemType(base.tmpfs), disk: filesystemType(base.disk) },
    daemon,
    sender: cSender === null || 'error' in cSender ? 'node' : 'c',
  };
  process.stderr.write(
    `bench: ${context.machine.cpuModel}, ${context.machine.cores} cores, ${context.machine.memoryMiB} MiB, ` +
      `node ${context.node}, commit ${context.commit}, temp ${base.tmpfs} (${context.filesystems.tmpfs}) ` +
      `and ${base.disk} (${context.filesystems.disk})${quick ? ', quick' : ''}, ${runs} run(s)\n`,
  );

  let caseDirs: string[] = [];
  const sink = await Sink.start();
  const env: BenchEnv = {
    quick,
    sink,
    workDir,
    freshDir(kind) {
      const dir = mkdtempSync(path.join(base[kind], 'run-'));
      caseDirs.push(dir);
      return dir;
    },
    runStat: buildRunStat(workDir),
    cSenderExe: cSender === null ? null : 'exe' in cSender ? cSender.exe : null,
    daemonMain,
    // telemd runs with the node flags it is installed with (telemd.service, the launcher).
    daemonNodeArgs: [
      ...(daemon === 'telemd' ? TELEMD_NODE_FLAGS : []),
      ...(values.profile === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', path.resolve(values.profile)]),
    ],
    unavailable: {
      telemd: daemon === 'reference' ? null : toolUnavailable(daemonMain),
      hprobe: toolUnavailable(TOOLS.hprobe),
      crashprobe: toolUnavailable(TOOLS.crashprobe),
    },
    socketActivate: hasSocketActivate(),
    caseTimeoutMs: quick ? 20_000 : 120_000,
    settleMs: quick ? 200 : 1000,
  };
  const cleanup = (): void => {
    for (const dir of Object.values(base)) rmSync(dir, { recursive: true, force: true });
  };
  // an interrupted bench leaves no daemon and no temp tree behind
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      killAllDaemons();
      cleanup();
      process.exit(code);
    });
  }

  const cases: BenchCase[] = [
    ...floorCases(),
    ...intakeCases(),
    ...deliveryCases(),
    ...liveCases(),
    ...startupCases(),
    ...probeCases(),
    ...collectorCases(),
    ...crashReporterCases(),
    ...webCases(),
  ].filter((c) => prefixes.length === 0 || prefixes.some((p) => c.id.startsWith(p)));
  const results = new Map<
    string,
    CaseResult & { metrics: Map<string, { unit: string; samples: number[] }>; notes: string[] }
  >();
  for (const c of cases) {
    results.set(c.id, {
      id: c.id,
      title: c.title,
      references: c.references ?? {},
      skipped: null,
      metrics: new Map(),
      notes: [],
    });
  }

  try {
    for (let run = 1; run <= runs; run++) {
      for (const c of cases) {
        const result = results.get(c.id);
        if (result === undefined || result.skipped !== null) continue;
        let outcome: Awaited<ReturnType<BenchCase['run']>> | undefined;
        try {
          // a case that hangs (a daemon that never answers) is abandoned, not waited for forever
          let timer: NodeJS.Timeout | undefined;
          const limitMs = env.caseTimeoutMs * 2;
          outcome = await Promise.race([
            c.run(env),
            new Promise<Awaited<ReturnType<BenchCase['run']>>>((resolve) => {
              timer = setTimeout(
                () => resolve({ kind: 'skip', reason: `case timed out after ${limitMs} ms` }),
                limitMs,
              );
            }),
          ]);
          clearTimeout(timer);
        } catch (err) {
          outcome = { kind: 'skip', reason: `error: ${(err as Error).message}` };
        } finally {
          if (outcome?.kind === 'skip') killAllDaemons();
          for (const dir of caseDirs) rmSync(dir, { recursive: true, force: true });
          caseDirs = [];
        }
        if (outcome.kind === 'skip') {
          // a case that cannot run once will not run later: do not retry it every round
          (result as { skipped: string | null }).skipped = outcome.reason;
          process.stderr.write(`bench: run ${run}/${runs} ${c.id}: skipped: ${outcome.reason}\n`);
          continue;
        }
        for (const m of outcome.metrics) {
          const entry = result.metrics.get(m.name) ?? { unit: m.unit, samples: [] };
          entry.samples.push(m.value);
          result.metrics.set(m.name, entry);
        }
        for (const note of outcome.notes ?? []) if (!result.notes.includes(note)) result.notes.push(note);
        const summary = outcome.metrics.map((m) => `${m.name}=${m.value.toFixed(2)}${m.unit}`).join(' ');
        process.stderr.write(`bench: run ${run}/${runs} ${c.id}: ${summary}\n`);
      }
    }
  } finally {
    killAllDaemons();
    await sink.close();
    cleanup();
  }

  const rows = resultRows([...results.values()]);
  mkdirSync(path.dirname(resultsFile), { recursive: true });
  appendFileSync(resultsFile, rows.map((r) => `${jsonLine(r, context, quick)}\n`).join(''));

  const date = context.timestamp.slice(0, 10);
  process.stdout.write(
    `\n${context.machine.cpuModel}, ${context.machine.cores} cores, ${Math.round(context.machine.memoryMiB / 1024)} GiB, ` +
      `node ${context.node}, ${date}, commit ${context.commit.slice(0, 12)}, load ${context.machine.loadAverage1m} -> ${(os.loadavg()[0] ?? 0).toFixed(2)}, ` +
      `spool tmpfs=${context.filesystems.tmpfs} disk=${context.filesystems.disk}, daemon ${context.daemon}, ` +
      `${context.sender} senders, ${runs} run(s)${quick ? ' (quick)' : ''}\n\n`,
  );
  process.stdout.write(`${formatTable(rows)}\n\nTargets (issues 8 and 15, on medians):\n`);
  for (const t of checkTargets(rows))
    process.stdout.write(`- ${t.verdict.padEnd(6)} ${t.target}: ${t.measured}\n`);
  const notes = rows.filter((r, i) => r.notes.length > 0 && rows.findIndex((x) => x.case === r.case) === i);
  if (notes.length > 0) {
    process.stdout.write('\nNotes:\n');
    for (const r of notes) process.stdout.write(`- ${r.case}: ${r.notes.join('; ')}\n`);
  }
  process.stdout.write(`\n${rows.length} rows appended to ${path.relative(process.cwd(), resultsFile)}\n`);
  return 0;
}

process.exitCode = await main();
