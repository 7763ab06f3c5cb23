// Backtrace display helpers over the collector's parser (crash/guilty.ts, spec 8.4).
import type { FuncMod } from '../crash/index.ts';

export { type Backtrace, type BacktraceFrame, parseBacktrace } from '../crash/index.ts';

/** Frames guilty_edit never offers (upstream): the program entry and libc's start frame. */
export function neverGuilty(f: FuncMod): boolean {
  return (
    f.function.startsWith('_start') ||
    (f.function.startsWith('__libc_start_main') && f.module.includes('libc.so.6'))
  );
}
