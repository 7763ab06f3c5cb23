// The hang watchdog's worker thread (see watchdog.ts): pings the main thread,
// and when it has not answered within the deadline, reports one hang per
// episode with the main thread's stack, then ends the process if asked.
import { parentPort, workerData } from 'node:worker_threads';
import { createCrashReporter } from './install.ts';
import { captureMainThreadStack } from './main-stack.ts';
import { PING, PONG, type WatchdogWorkerData } from './watchdog.ts';

const data = workerData as WatchdogWorkerData;
const port = parentPort!;
const reporter = createCrashReporter(data.reporter);
let lastAnswer = performance.now();
let hung = false;

port.on('message', (message) => {
  if (message !== PONG) return;
  lastAnswer = performance.now();
  hung = false;
});

async function mainStack(): Promise<string> {
  try {
    return await captureMainThreadStack(data.stackTimeoutMs);
  } catch (error) {
    return `    (main thread stack not available: ${(error as Error).message})`;
  }
}

function end(): void {
  process.kill(process.pid, 'SIGTERM');
  // A program with its own SIGTERM listener cannot run it while stuck.
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), data.killGraceMs);
}

async function onHang(silentMs: number): Promise<void> {
  const stack = await mainStack();
  const message = `the main thread did not answer for ${Math.round(silentMs)} ms (deadline ${data.deadlineMs} ms)`;
  const error = new Error(message);
  error.name = 'Hang';
  error.stack = `Hang: ${message}\n${stack}`;
  const outcome = await reporter.report('hang', error, { blockedMs: String(Math.round(silentMs)) });
  if (outcome.fate === 'lost') process.stderr.write(`hang report lost: ${outcome.reason}\n`);
  if (data.exit) end();
}

// This timer keeps the worker alive; the main side unref'd the worker, so not the program.
if (reporter.enabled) {
  setInterval(() => {
    port.postMessage(PING);
    const silentMs = performance.now() - lastAnswer;
    if (!hung && silentMs > data.deadlineMs) {
      hung = true;
      void onHang(silentMs);
    }
  }, data.intervalMs);
}
