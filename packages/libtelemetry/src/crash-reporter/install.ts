// installCrashReporter(): crash reports from a Node program (issue 18, the
// Cortex telemetry seeds). Uncaught exceptions and unhandled rejections are
// seen through 'uncaughtExceptionMonitor', which observes without changing
// what Node does next: the program still prints the error and exits with
// Node's code (1, or whatever --unhandled-rejections decides); a failing
// entry ES module is reported as a crash (fatal-kind.ts). The report is
// sent to telemd synchronously (sync-send.ts) and, when telemd cannot take
// it, written to crash_dir before the handler returns (crash-dir.ts).
// Handled errors go through reportError(). Nothing runs, no handle is open
// and nothing is read until something goes wrong.
import { isAbsolute } from 'node:path';
import { loadConfigSync } from '../config/load.ts';
import type { TelemetryConfig } from '../config/types.ts';
import { isOptedInSync } from '../opt-in.ts';
import { writeCrashFileSync } from './crash-dir.ts';
import { FATAL_STACK_FRAMES, fatalKind } from './fatal-kind.ts';
import { type CrashKind, describeError, toContext } from './payload.ts';
import { type BuiltReport, createReportBuilder, type ReportBuilder } from './report-builder.ts';
import { sendFrameSync } from './sync-send.ts';
import { type HangWatchdogOptions, startHangWatchdog } from './watchdog.ts';

/** The switch of the seed's CORTEX_CRASH_REPORT: `0` turns crash reporting off. */
export const CRASH_REPORT_ENV = 'TELEMETRICS_CRASH_REPORT';
/** How long a dying process waits for telemd before it writes the report to crash_dir. */
export const DEFAULT_CRASH_SEND_TIMEOUT_MS = 2000;

export interface CrashReporterOptions {
  /** The seed's service.name. */
  readonly serviceName: string;
  readonly appVersion?: string | undefined;
  /** `cli`, `server` or the program's own word. */
  readonly source?: string | undefined;
  /** Free key/values sent with every report (the seed's modelId, endpoint, command). */
  readonly context?: Readonly<Record<string, unknown>> | undefined;
  /** Explicit config file, as sendProbeRecord takes it (absolute; frames carry it as CFG:). */
  readonly configFile?: string | undefined;
  /** Overrides socket_path from the config. */
  readonly socketPath?: string | undefined;
  /** Wait for telemd at most this long before falling back to crash_dir (default 2000 ms). */
  readonly sendTimeoutMs?: number | undefined;
  /** Environment to read TELEMETRICS_CRASH_REPORT from; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Start the hang watchdog (watchdog.ts); off unless given. */
  readonly hangWatchdog?: HangWatchdogOptions | undefined;
}

/** What became of one report. */
export type ReportOutcome =
  | { readonly fate: 'sent'; readonly eventId: string }
  | { readonly fate: 'kept'; readonly eventId: string; readonly path: string; readonly reason: string }
  | { readonly fate: 'off'; readonly reason: string }
  | { readonly fate: 'lost'; readonly reason: string };

export interface CrashReporter {
  /** False when reporting is off (TELEMETRICS_CRASH_REPORT=0, opted out, unusable config). */
  readonly enabled: boolean;
  /** Why it is off, when it is. */
  readonly reason: string | undefined;
  /** Report an error the program handled; never rejects. */
  reportError(error: unknown, context?: Readonly<Record<string, unknown>>): Promise<ReportOutcome>;
  /** Report of any kind, sent asynchronously (the hang watchdog's path); never rejects. */
  report(
    kind: CrashKind,
    error: unknown,
    context?: Readonly<Record<string, unknown>>,
  ): Promise<ReportOutcome>;
  /** Synchronous report of any kind (used by the crash handler and the hang watchdog). */
  reportSync(kind: CrashKind, error: unknown, context?: Readonly<Record<string, unknown>>): ReportOutcome;
  /** Remove the handlers. */
  uninstall(): void;
}

interface Setup {
  readonly config: TelemetryConfig;
  readonly cfgPath: string | undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The config, or why reporting is off. Synchronous: cheap, and the program's start-up is waiting. */
function setUp(options: CrashReporterOptions): Setup | string {
  const env = options.env ?? process.env;
  if (env[CRASH_REPORT_ENV] === '0') return `${CRASH_REPORT_ENV}=0`;
  let cfgPath: string | undefined;
  let config: TelemetryConfig;
  try {
    if (options.configFile !== undefined) {
      // As sendProbeRecord (checkConfigFilePath): absolute; loadConfigSync checks it is a file.
      if (!isAbsolute(options.configFile)) return `configFile must be absolute: ${options.configFile}`;
      cfgPath = options.configFile;
    }
    config = loadConfigSync({ configFile: cfgPath }).config;
  } catch (error) {
    return `configuration not usable: ${errorText(error)}`;
  }
  if (!isOptedInSync(config.opt_in_file)) return `not opted in (${config.opt_in_file} does not exist)`;
  return { config, cfgPath };
}

function disabled(reason: string): CrashReporter {
  const off = { fate: 'off', reason } as const;
  return {
    enabled: false,
    reason,
    reportError: async () => off,
    report: async () => off,
    reportSync: () => off,
    uninstall: () => {},
  };
}

function keep(config: TelemetryConfig, report: BuiltReport, reason: string): ReportOutcome {
  try {
    const path = writeCrashFileSync(config.crash_dir, report.eventId, report.frame);
    return { fate: 'kept', eventId: report.eventId, path, reason };
  } catch (error) {
    return { fate: 'lost', reason: `${reason}; cannot write to ${config.crash_dir}: ${errorText(error)}` };
  }
}

/** A reporter without handlers: reports only when called (the watchdog worker uses this). */
export function createCrashReporter(options: CrashReporterOptions): CrashReporter {
  const setup = setUp(options);
  if (typeof setup === 'string') return disabled(setup);
  const { config } = setup;
  const socketPath = options.socketPath ?? config.socket_path;
  const sendTimeoutMs = options.sendTimeoutMs ?? DEFAULT_CRASH_SEND_TIMEOUT_MS;
  const builder: ReportBuilder = createReportBuilder({
    serviceName: options.serviceName,
    appVersion: options.appVersion ?? 'unknown',
    source: options.source ?? 'unknown',
    context: toContext(options.context),
    config,
    cfgPath: setup.cfgPath,
  });

  function build(kind: CrashKind, error: unknown, context?: Readonly<Record<string, unknown>>) {
    // Opting out later stops reports too (telemctl opt-out removes the marker).
    if (!isOptedInSync(config.opt_in_file)) return undefined;
    return builder.build(kind, describeError(error), toContext(context));
  }

  function reportSync(kind: CrashKind, error: unknown, context?: Readonly<Record<string, unknown>>) {
    let report: BuiltReport | undefined;
    try {
      report = build(kind, error, context);
    } catch (e) {
      return { fate: 'lost', reason: `cannot build the report: ${errorText(e)}` } as const;
    }
    if (report === undefined) return { fate: 'off', reason: 'opted out' } as const;
    const sent = sendFrameSync(report.frame, socketPath, sendTimeoutMs);
    if (sent === 'sent') return { fate: 'sent', eventId: report.eventId } as const;
    return keep(config, report, `telemd not reached (${sent})`);
  }

  async function report(kind: CrashKind, error: unknown, context?: Readonly<Record<string, unknown>>) {
    let built: BuiltReport | undefined;
    try {
      built = build(kind, error, context);
    } catch (e) {
      return { fate: 'lost', reason: `cannot build the report: ${errorText(e)}` } as const;
    }
    if (built === undefined) return { fate: 'off', reason: 'opted out' } as const;
    try {
      // Loaded on the first report: node:net is ~2 ms and ~3 MiB of a program's start-up.
      const { writeFrame } = await import('../send.ts');
      await writeFrame(built.frame, socketPath, sendTimeoutMs);
      return { fate: 'sent', eventId: built.eventId } as const;
    } catch (e) {
      return keep(config, built, `telemd not reached (${errorText(e)})`);
    }
  }

  return {
    enabled: true,
    reason: undefined,
    reportError: (error, context) => report('error', error, context),
    report,
    reportSync,
    uninstall: () => {},
  };
}

/**
 * createCrashReporter() plus the handlers: uncaught exceptions and unhandled
 * rejections are reported, and the hang watchdog runs if asked for.
 */
export function installCrashReporter(options: CrashReporterOptions): CrashReporter {
  const reporter = createCrashReporter(options);
  if (!reporter.enabled) return reporter;
  const onFatal = (error: unknown, origin: string): void => {
    // The call stack only matters for a rejection (fatal-kind.ts); node:util is loaded already.
    const stack =
      origin === 'unhandledRejection'
        ? process.getBuiltinModule('node:util').getCallSites(FATAL_STACK_FRAMES)
        : [];
    const outcome = reporter.reportSync(fatalKind(origin, stack), error);
    if (outcome.fate === 'lost') process.stderr.write(`crash report lost: ${outcome.reason}\n`);
  };
  process.on('uncaughtExceptionMonitor', onFatal);
  const watchdog = options.hangWatchdog ? startHangWatchdog(options, options.hangWatchdog) : undefined;
  return {
    ...reporter,
    uninstall: () => {
      process.off('uncaughtExceptionMonitor', onFatal);
      watchdog?.stop();
    },
  };
}
