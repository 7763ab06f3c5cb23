// Crash payloads (spec/collector.md §8): the frame-line grammar, upstream's guilty-frame
// selection with the blacklist, and the backtrace parser the views display. [pure]
import { pySplitLines } from './lines.ts';

export interface FuncMod {
  readonly function: string;
  readonly module: string;
}

/** The record classes whose payloads are backtraces (§8.1); only these are processed. */
export const BACKTRACE_CLASSES: readonly string[] = [
  'org.clearlinux/crash/clr',
  'org.clearlinux/kernel/bug',
  'org.clearlinux/kernel/stackoverflow',
  'org.clearlinux/kernel/warning',
];

// §8.2: every group greedy, so the function runs to the last ` - [` followed by a `]`, and
// the module to the last `]`.
const FRAME_LINE = /^#[0-9]+ (.+) - \[(.*)\](.*)$/;

export interface FrameLine extends FuncMod {
  /** What follows the module's `]`: empty, or ` - file:line` for crashprobe. */
  readonly rest: string;
}

export function parseFrameLine(line: string): FrameLine | null {
  const m = FRAME_LINE.exec(line);
  return m ? { function: m[1]!, module: m[2]!, rest: m[3]! } : null;
}

const key = (f: FuncMod): string => `${f.function}\u0000${f.module}`;

/** §8.3: the frame to blame, or null when the payload has no frame lines. */
export function findGuilty(payload: string, blacklist: readonly FuncMod[]): FuncMod | null {
  const blocked = new Set(blacklist.map(key));
  let inBacktrace = false;
  let firstUnknown: FuncMod | null = null;
  let prev: FuncMod | null = null;
  for (const line of pySplitLines(payload).slice(1)) {
    const frame = parseFrameLine(line);
    if (frame === null) {
      if (inBacktrace) break;
      continue;
    }
    inBacktrace = true;
    const candidate: FuncMod = { function: frame.function, module: frame.module };
    const unknown = candidate.function === '???' || candidate.function.startsWith('? ');
    if (blocked.has(key(candidate))) prev = candidate;
    else if (unknown && firstUnknown === null) firstUnknown = prev = candidate;
    else if (candidate.function === '???') prev = candidate;
    else return candidate;
  }
  return firstUnknown ?? prev;
}

export interface BacktraceFrame extends FrameLine {
  /** `function - [module]` plus ` - basename(file)` when there is a file part (§8.4). */
  readonly display: string;
  /** True for the frame equal to the guilty passed to parseBacktrace. */
  readonly guilty: boolean;
}

export interface Backtrace {
  readonly process: string | null;
  readonly pid: number | null;
  readonly signal: number | null;
  /** The TID of the first `Backtrace (TID n):` block, whose frames these are. */
  readonly tid: number | null;
  readonly frames: readonly BacktraceFrame[];
}

function basenameOfRest(rest: string): string {
  const file = rest.replace(/^ - /, '');
  const slash = file.lastIndexOf('/');
  return slash < 0 ? file : file.slice(slash + 1);
}

/**
 * §8.4: the header lines and the first thread's frames (from the first `Backtrace (TID n):`
 * line to the second). With `guilty`, the first frame equal to it is marked.
 */
export function parseBacktrace(payload: string, guilty: FuncMod | null = null): Backtrace {
  let process: string | null = null;
  let pid: number | null = null;
  let signal: number | null = null;
  let tid: number | null = null;
  const frames: BacktraceFrame[] = [];
  let marked = false;
  for (const line of pySplitLines(payload)) {
    const header = /^(?:Process: (.*)|PID: ([0-9]+)|Signal: ([0-9]+)|Backtrace \(TID ([0-9]+)\):)$/.exec(
      line,
    );
    if (header?.[4] !== undefined) {
      if (tid !== null) break;
      tid = Number(header[4]);
    } else if (header?.[1] !== undefined) {
      if (tid === null && process === null) process = header[1];
    } else if (header?.[2] !== undefined) {
      pid ??= Number(header[2]);
    } else if (header?.[3] !== undefined) {
      signal ??= Number(header[3]);
    } else if (tid !== null) {
      const frame = parseFrameLine(line);
      if (frame === null) continue;
      const isGuilty: boolean =
        !marked && guilty !== null && frame.function === guilty.function && frame.module === guilty.module;
      marked ||= isGuilty;
      const file = frame.rest === '' ? '' : ` - ${basenameOfRest(frame.rest)}`;
      frames.push({ ...frame, display: `${frame.function} - [${frame.module}]${file}`, guilty: isGuilty });
    }
  }
  return { process, pid, signal, tid, frames };
}
