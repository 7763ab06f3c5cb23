// Turns a core into the crash record C's crashprobe would send: every thread
// in core order (the kernel writes the crashing thread first), frames
// symbolized, C's 64-frame cap, and an `error` record when unwinding fails.
// Pure: modules, clock and limits are passed in.
import type { CoreImage } from './elf/core.ts';
import type { ModuleMap } from './modules.ts';
import {
  assemblePayload,
  Classes,
  type CrashClass,
  FRAMES_MAX,
  headerText,
  MAX_PAYLOAD_BYTES,
  TIME_BUDGET_NOTE,
  type ThreadBlock,
  TRUNCATED_FRAMES_NOTE,
} from './report.ts';
import { frameLine } from './symbolize.ts';
import { unwindThread } from './unwind.ts';

export interface AnalyzeOptions {
  readonly processName: string;
  readonly processPath: string | undefined;
  readonly signal: number | undefined;
  readonly maxFrames?: number;
  readonly maxPayloadBytes?: number;
  readonly expired: () => boolean;
  /** Set when the core input stopped at the time budget. */
  readonly inputTimedOut?: boolean;
}

export interface CrashReport {
  readonly cls: CrashClass;
  readonly payload: string;
  /** The `Error:` message when the class is `error`. */
  readonly error: string | undefined;
}

export function analyzeCore(core: CoreImage, modules: ModuleMap, opts: AnalyzeOptions): CrashReport {
  const maxFrames = opts.maxFrames ?? FRAMES_MAX;
  const pid = core.notes.pid ?? core.notes.threads[0]?.tid ?? 0;
  const header = headerText({
    processName: opts.processName,
    processPath: opts.processPath,
    pid,
    signal: opts.signal,
  });
  const notes: string[] = [];
  const blocks: ThreadBlock[] = [];
  let error: string | undefined;
  let timeNoted = opts.inputTimedOut === true;
  if (timeNoted) notes.push(TIME_BUDGET_NOTE);
  const symbolModules = {
    find: (addr: number) => {
      const m = modules.find(addr);
      return m === undefined
        ? undefined
        : { name: m.desc.name, symbol: (a: number) => m.symbol(a), source: (a: number) => m.source(a) };
    },
  };
  threads: for (const thread of core.notes.threads) {
    const lines: string[] = [];
    blocks.push({ tid: thread.tid, lines });
    // One more frame than the cap is unwound, so "exactly 64" is not reported as truncated.
    const r = unwindThread(thread, modules, core.memory, { maxFrames: maxFrames + 1, expired: opts.expired });
    for (const [i, frame] of r.frames.entries()) {
      if (i >= maxFrames) {
        notes.push(TRUNCATED_FRAMES_NOTE);
        break threads;
      }
      const line = frameLine(i, frame, symbolModules);
      if (!line.ok) {
        error = line.error;
        break threads;
      }
      lines.push(line.text);
    }
    if (r.end.kind === 'deadline') {
      if (!timeNoted) notes.push(TIME_BUDGET_NOTE);
      timeNoted = true;
      break;
    }
    if (r.end.kind === 'error') {
      error = `Error while iterating through frames for thread ${thread.tid}: ${r.end.message}`;
      break;
    }
  }
  if (error !== undefined) notes.push(`Error: ${error}\n`);
  const payload = assemblePayload(header, notes, blocks, opts.maxPayloadBytes ?? MAX_PAYLOAD_BYTES);
  return { cls: error === undefined ? Classes.clr : Classes.error, payload, error };
}
