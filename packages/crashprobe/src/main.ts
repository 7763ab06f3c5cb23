#!/usr/bin/env node
// crashprobe: the kernel's core_pattern pipe handler. main only dispatches:
// options first (BUG-43: C dropped privileges before parsing them), config,
// privilege drop, privacy filter, then the core is read once under a time
// budget, analysed and sent. Only this file reads argv/env and sets the exit code.
import { existsSync, fstatSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  createRecord,
  packageVersion,
  randomBytes,
  readHostFacts,
  sendRecord,
  type TelemetryConfig,
  usageErrorText,
  versionLine,
} from '@telemetrics/libtelemetry';
import { loadConfig } from '@telemetrics/libtelemetry/config';
import { createStderrLogger, type Logger } from '@telemetrics/libtelemetry/log';
import {
  type CrashprobeArgs,
  DEFAULT_DEBUG_ROOT,
  DEFAULT_TIME_BUDGET_S,
  DEFAULT_USER,
  HELP,
  interpretArgs,
  OPTIONS,
} from './cli.ts';
import { openCoreFd } from './input/core-stream.ts';
import { analyzeStream } from './pipeline.ts';
import { dropPrivileges } from './privileges.ts';
import { Classes, type CrashClass, privacyFilter } from './report.ts';

const PROG = 'crashprobe';
const STATE_DIR = '/var/lib/telemetry';
const PASSWD_FILE = '/etc/passwd';

/** Keys the lead may add to the shared table; read loosely so this works before and after. */
function stdinUsable(): boolean {
  try {
    const st = fstatSync(0);
    return st.isFIFO() || st.isFile() || st.isSocket();
  } catch {
    return false;
  }
}

async function send(
  cls: CrashClass,
  payload: string,
  config: TelemetryConfig,
  args: CrashprobeArgs,
  log: Logger,
): Promise<number> {
  if (args.verbose) process.stdout.write(payload);
  try {
    const facts = await readHostFacts({ root: config.host_root });
    const record = createRecord({
      severity: cls.severity,
      classification: cls.classification,
      payload,
      facts,
      now: Date.now(),
      random: (n) => randomBytes(n),
    });
    await sendRecord(record, { socketPath: config.socket_path, optInFile: config.opt_in_file });
    log.log('info', 'crash record sent', { classification: cls.classification, process: args.processName });
    return 0;
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : 'TELEM_SEND_FAILED';
    log.log('err', `cannot send the crash record: ${err instanceof Error ? err.message : String(err)}`, {
      code,
      classification: cls.classification,
    });
    return 1;
  }
}

async function run(argv: string[]): Promise<number> {
  const startMs = performance.now();
  let values: Parameters<typeof interpretArgs>[0];
  try {
    values = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    process.stderr.write(usageErrorText(PROG, (err as Error).message));
    return 2;
  }
  const outcome = interpretArgs(values);
  switch (outcome.kind) {
    case 'help':
      process.stdout.write(HELP);
      return 0;
    case 'version':
      process.stdout.write(versionLine(PROG, packageVersion(new URL('../package.json', import.meta.url))));
      return 0;
    case 'c-error':
      process.stdout.write(`${outcome.message}\n`);
      return 1;
    case 'usage':
      process.stderr.write(usageErrorText(PROG, outcome.message));
      return 2;
  }
  const args = outcome.args;
  const log = createStderrLogger('info');

  let config: TelemetryConfig;
  try {
    const loaded = await loadConfig({ configFile: args.configFile });
    for (const w of loaded.warnings) log.log('warning', w);
    config = loaded.config;
  } catch (err) {
    log.log('err', (err as Error).message, { code: (err as { code?: string }).code });
    return 1;
  }

  // The core file is opened while still root: the kernel's and systemd-coredump's cores are
  // 0600 root-owned. Only this descriptor crosses the privilege drop; everything is read and
  // parsed as the unprivileged user. An open failure matters only if the core is needed.
  let core: { readonly fd: number } | { readonly error: string } = { fd: 0 };
  if (args.coreFile !== undefined) {
    try {
      core = { fd: openCoreFd(args.coreFile) };
    } catch (err) {
      core = { error: (err as Error).message };
    }
  }

  const user = args.user ?? (config.crashprobe_user || DEFAULT_USER);
  const drop = dropPrivileges({
    user,
    passwdFile: PASSWD_FILE,
    workDir: STATE_DIR,
  });
  if (drop.kind === 'failed') {
    log.log('err', `refusing to read the core as root: ${drop.reason}`, { code: 'CRASH_PRIVILEGES' });
    return 1;
  }
  if (drop.kind === 'dropped' && drop.fallback) {
    log.log('warning', `user ${user} does not exist; running as ${drop.user}`, {
      code: 'CRASH_PRIVILEGES',
    });
  }

  const filtered = privacyFilter(args.processPath, existsSync(config.privacy_filters_override_file));
  if (filtered !== undefined) return send(filtered.cls, filtered.payload, config, args, log);

  if (args.coreFile === undefined && !stdinUsable()) {
    process.stdout.write('Cannot process core file. Use the -c option, or pass the core file on stdin.\n');
    return 1;
  }
  let budgetS = args.timeBudgetS ?? config.crashprobe_time_budget;
  if (!Number.isFinite(budgetS) || budgetS <= 0) {
    log.log('warning', `crashprobe_time_budget is not a positive number; using ${DEFAULT_TIME_BUDGET_S} s`);
    budgetS = DEFAULT_TIME_BUDGET_S;
  }
  const deadlineMs = startMs + budgetS * 1000;
  if ('error' in core) {
    log.log('err', `cannot open the core file: ${core.error}`, { code: 'CRASH_CORE_READ' });
    return 1;
  }
  const { fd } = core;
  const out = await analyzeStream(
    { fd },
    {
      processName: args.processName,
      processPath: args.processPath,
      signal: args.signal,
      deadlineMs,
      files: {
        sysroot: args.sysroot,
        pathMap: args.pathMap,
        debugRoots: args.debugRoots ?? [DEFAULT_DEBUG_ROOT],
      },
    },
  );
  stalledInput = out.pendingRead;
  if (!out.ok) {
    log.log('err', `cannot read the core: ${out.section}: ${out.detail}`, {
      code: out.code,
      bytes: out.bytesRead,
    });
    return 1;
  }
  for (const p of out.core.notes.problems)
    log.log('warning', `core note skipped: ${p}`, { code: 'CRASH_ELF_NOTES' });
  for (const u of out.untrusted) log.log('notice', `module not used: ${u}`);
  const report = out.report;
  if (report.cls === Classes.error) log.log('warning', `unwinding failed: ${report.error ?? ''}`);
  return send(report.cls, report.payload, config, args, log);
}

process.on('unhandledRejection', (err) => {
  process.stderr.write(
    `<3>crashprobe: unexpected failure: ${err instanceof Error ? err.stack : String(err)}\n`,
  );
  process.exitCode = 1;
});

let stalledInput = false;

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    if (stalledInput) {
      // The core stopped arriving and a read is blocked in libuv's thread pool,
      // which exit() would wait for. The record is already sent (or logged);
      // end by the default action of SIGTERM, which runs no exit handlers.
      process.stderr.write(
        '<5>core input stalled; terminating without waiting for it code=CRASH_TIME_BUDGET\n',
      );
      process.kill(process.pid, 'SIGTERM');
    }
  },
  (err: unknown) => {
    process.stderr.write(
      `<3>crashprobe: unexpected failure: ${err instanceof Error ? err.stack : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
