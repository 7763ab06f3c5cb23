// Reads a core from a stream (stdin, the kernel's pipe) or a file opened with
// O_NOFOLLOW, once, front to back, through the CoreAssembler. Stops reading as
// soon as every kept range is filled, or at the deadline.
import { constants, createReadStream, openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { CoreImage, CoreLimits } from '../elf/core.ts';
import { type CoreResult, CoreErrorCodes, failResult } from '../errors.ts';
import { CoreAssembler } from './core-assembler.ts';

export interface ReadCoreOptions {
  readonly limits: CoreLimits;
  /** Absolute time (ms, same clock as `now`) after which reading stops. */
  readonly deadlineMs: number;
  readonly now: () => number;
}

export interface ReadCoreOutcome {
  readonly result: CoreResult<CoreImage>;
  readonly bytesRead: number;
  readonly timedOut: boolean;
}

export async function readCoreStream(stream: Readable, opts: ReadCoreOptions): Promise<ReadCoreOutcome> {
  const asm = new CoreAssembler(opts.limits);
  let timedOut = false;
  const remaining = Math.max(0, opts.deadlineMs - opts.now());
  const timer = setTimeout(() => {
    timedOut = true;
    stream.destroy();
  }, remaining);
  try {
    for await (const chunk of stream) {
      asm.push(chunk as Uint8Array);
      if (asm.complete) break;
    }
  } catch (err) {
    if (!timedOut) {
      clearTimeout(timer);
      const message = err instanceof Error ? err.message : String(err);
      return {
        result: failResult(CoreErrorCodes.CRASH_CORE_READ, 'input', message),
        bytesRead: asm.bytesSeen,
        timedOut,
      };
    }
  } finally {
    clearTimeout(timer);
    stream.destroy();
  }
  return { result: asm.finish(), bytesRead: asm.bytesSeen, timedOut };
}

/** Opens a core file without following symlinks (C: O_RDONLY|O_NOFOLLOW). */
export function openCoreFile(path: string): Readable {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  return createReadStream('', { fd, highWaterMark: 1 << 20 });
}
