// Which kind of report a fatal error is: 'crash' or 'rejection'. Node hands
// 'uncaughtExceptionMonitor' the origin 'unhandledRejection' also when the
// entry ES module's evaluation fails (a `throw` at its top level, or a
// top-level `await` of a rejected promise): the module's evaluation is a
// promise. That is a crash of the program as much as a throw in a callback,
// so it is reported as one. Node 24 reports that failure from one place,
// asyncRunEntryPointWithESMLoader in node:internal/modules/run_main (it
// catches the entry's error and triggers the uncaught exception itself),
// while a rejection nobody handled comes from processPromiseRejections: the
// call stack of the monitor tells them apart. Should a Node release rename
// that function, the report falls back to 'rejection', what Node says.
import type { CrashKind } from './payload.ts';

/** One frame of the monitor's call stack, as node:util getCallSites() gives it. */
export interface CallSiteName {
  readonly functionName: string;
  readonly scriptName: string;
}

const ENTRY_RUNNER: CallSiteName = {
  functionName: 'asyncRunEntryPointWithESMLoader',
  scriptName: 'node:internal/modules/run_main',
};

/** Frames enough to reach Node's caller from a listener (4 seen on Node 24). */
export const FATAL_STACK_FRAMES = 16;

/** The kind of a fatal error, from the monitor's origin and its call stack (pure). */
export function fatalKind(
  origin: string,
  stack: readonly CallSiteName[],
): Extract<CrashKind, 'crash' | 'rejection'> {
  if (origin !== 'unhandledRejection') return 'crash';
  const fromEntry = stack.some(
    (f) => f.functionName === ENTRY_RUNNER.functionName && f.scriptName === ENTRY_RUNNER.scriptName,
  );
  return fromEntry ? 'crash' : 'rejection';
}
