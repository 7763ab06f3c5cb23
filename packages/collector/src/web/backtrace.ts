// Backtrace display (spec 8.4): header lines and the first thread's frames, from
// the first `Backtrace (TID n):` line up to the second one.
import { basename } from './format.ts';

export interface Frame {
  function: string;
  module: string;
  rest: string;
}

export interface Backtrace {
  process?: string;
  pid?: string;
  signal?: string;
  frames: Frame[];
}

/** Greedy groups as upstream's matcher: the function runs to the last ` - [`
 *  still followed by `]`, the module to the last `]`. */
const FRAME = /^#[0-9]+ (.+) - \[(.*)\](.*)$/;

export function parseFrame(line: string): Frame | null {
  const m = FRAME.exec(line);
  return m ? { function: m[1] ?? '', module: m[2] ?? '', rest: m[3] ?? '' } : null;
}

export function parseBacktraceForDisplay(payload: string): Backtrace {
  const bt: Backtrace = { frames: [] };
  let threads = 0;
  for (const line of payload.split(/\r\n|\n|\r/)) {
    let m: RegExpExecArray | null;
    if ((m = /^Process: (.*)$/.exec(line))) bt.process = m[1];
    else if ((m = /^PID: ([0-9]+)/.exec(line))) bt.pid = m[1];
    else if ((m = /^Signal: ([0-9]+)/.exec(line))) bt.signal = m[1];
    else if (/^Backtrace \(TID [0-9]+\):/.test(line)) {
      if (++threads > 1) break;
    } else if (threads === 1) {
      const f = parseFrame(line);
      if (f) bt.frames.push(f);
    }
  }
  return bt;
}

/** ` - crashme.c:44` from ` - /usr/src/x/crashme.c:44` (upstream shows basename(rest)). */
export function frameLocation(rest: string): string {
  const r = rest.replace(/^ - /, '');
  return r ? basename(r) : '';
}

/** Frames guilty_edit never offers: the program entry and libc's start frame. */
export function neverGuilty(f: Frame): boolean {
  return f.function.startsWith('_start') || (f.function.startsWith('__libc_start_main') && f.module.includes('libc.so.6'));
}
