// The hang watchdog, main-thread side: a worker thread pings the main thread
// every intervalMs; the main thread answers from its event loop, so a busy
// loop or a long synchronous call leaves the pings unanswered. The worker
// (watchdog-worker.ts) then takes the main thread's stack, reports a hang and,
// if asked, ends the process. The Cortex design forks a child process for
// this; a worker sees the same hangs (test/e2e/node-crash.test.ts) and costs
// a thread, not a process, and can reach the main thread's stack through the
// inspector (main-stack.ts). The worker is unref'd: it never keeps the
// program alive, and answering a ping is one message per interval.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CrashReporterOptions } from './install.ts';
import { toContext } from './payload.ts';

export interface HangWatchdogOptions {
  /** The main thread is hung when it has not answered for this long; default 10000 ms. */
  readonly deadlineMs?: number | undefined;
  /** How often the worker pings; default a quarter of the deadline. */
  readonly intervalMs?: number | undefined;
  /** After reporting a hang, end the process: SIGTERM, then SIGKILL after killGraceMs. Default false. */
  readonly exit?: boolean | undefined;
  /** Default 2000 ms. */
  readonly killGraceMs?: number | undefined;
  /** How long the worker waits for the main thread's stack; default 2000 ms. */
  readonly stackTimeoutMs?: number | undefined;
}

export const DEFAULT_HANG_DEADLINE_MS = 10_000;

/** What the worker gets: everything structured-cloneable. */
export interface WatchdogWorkerData {
  readonly reporter: Omit<CrashReporterOptions, 'hangWatchdog'>;
  readonly deadlineMs: number;
  readonly intervalMs: number;
  readonly exit: boolean;
  readonly killGraceMs: number;
  readonly stackTimeoutMs: number;
}

export const PING = 'telemetrics-watchdog-ping';
export const PONG = 'telemetrics-watchdog-pong';

export interface HangWatchdog {
  stop(): void;
}

function workerUrl(): URL {
  // .ts beside the sources (tests, type stripping), .js in dist.
  return new URL(`./watchdog-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
}

export function startHangWatchdog(
  reporter: CrashReporterOptions,
  options: HangWatchdogOptions,
): HangWatchdog {
  const deadlineMs = options.deadlineMs ?? DEFAULT_HANG_DEADLINE_MS;
  const workerData: WatchdogWorkerData = {
    reporter: {
      serviceName: reporter.serviceName,
      appVersion: reporter.appVersion,
      source: reporter.source,
      context: toContext(reporter.context),
      configFile: reporter.configFile,
      socketPath: reporter.socketPath,
      sendTimeoutMs: reporter.sendTimeoutMs,
      env: reporter.env ? { ...reporter.env } : undefined,
    },
    deadlineMs,
    intervalMs: options.intervalMs ?? Math.max(1, Math.floor(deadlineMs / 4)),
    exit: options.exit === true,
    killGraceMs: options.killGraceMs ?? 2000,
    stackTimeoutMs: options.stackTimeoutMs ?? 2000,
  };
  // Taken here, not imported: only programs that start the watchdog pay for node:worker_threads.
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  // execArgv: [] so the program's --require/--import hooks do not run again in the worker.
  const worker = new Worker(workerUrl(), { workerData, execArgv: [] });
  worker.on('message', (message) => {
    if (message === PING) worker.postMessage(PONG);
  });
  worker.on('error', (error) => {
    process.stderr.write(`telemetrics hang watchdog stopped: ${error.message}\n`);
  });
  worker.unref();
  return { stop: () => void worker.terminate() };
}
