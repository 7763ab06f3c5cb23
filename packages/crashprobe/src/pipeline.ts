// Core in, report out: read the core (stream or file), find and trust the
// modules, unwind and symbolize. Shared by main.ts and the tests.
import type { Readable } from 'node:stream';
import { type AnalyzeOptions, analyzeCore, type CrashReport } from './analyze.ts';
import { type CoreImage, type CoreLimits, DEFAULT_CORE_LIMITS } from './elf/core.ts';
import type { CoreErrorCode } from './errors.ts';
import { readCoreFd, readCoreStream } from './input/core-stream.ts';
import { FileOpener, type FileOpenerOptions } from './input/files.ts';
import { describeModules, ModuleMap } from './modules.ts';

export interface PipelineOptions extends Omit<AnalyzeOptions, 'expired' | 'inputTimedOut'> {
  readonly files: FileOpenerOptions;
  readonly limits?: CoreLimits;
  /** performance.now() value after which unwinding stops. */
  readonly deadlineMs: number;
  /** When reading the core stops; default: 80% of the way to deadlineMs, so unwinding keeps some time. */
  readonly readDeadlineMs?: number;
  readonly now?: () => number;
}

export type PipelineOutcome =
  | {
      readonly ok: true;
      readonly report: CrashReport;
      readonly core: CoreImage;
      readonly bytesRead: number;
      /** `name: reason` of each module whose file was not used. */
      readonly untrusted: readonly string[];
      /** The input stalled and a read is still blocked (see readCoreFd). */
      readonly pendingRead: boolean;
    }
  | {
      readonly ok: false;
      readonly code: CoreErrorCode;
      readonly section: string;
      readonly detail: string;
      readonly bytesRead: number;
      readonly pendingRead: boolean;
    };

/** A stream, or a file descriptor read with one reused buffer (what main uses). */
export type CoreInput = Readable | { readonly fd: number };

export async function analyzeStream(input: CoreInput, opts: PipelineOptions): Promise<PipelineOutcome> {
  const now = opts.now ?? (() => performance.now());
  const start = now();
  const readDeadlineMs = opts.readDeadlineMs ?? start + (opts.deadlineMs - start) * 0.8;
  const readOpts = { limits: opts.limits ?? DEFAULT_CORE_LIMITS, deadlineMs: readDeadlineMs, now };
  // A ReadStream has an `fd` too: tell the two apart by the stream's read().
  const read =
    'read' in input
      ? { ...(await readCoreStream(input, readOpts)), pendingRead: false }
      : await readCoreFd(input.fd, readOpts);
  if (!read.result.ok) return { ...read.result, bytesRead: read.bytesRead, pendingRead: read.pendingRead };
  const core = read.result.value;
  using opener = new FileOpener(opts.files);
  const modules = new ModuleMap(describeModules(core), opener);
  const report = analyzeCore(core, modules, {
    ...opts,
    expired: () => now() > opts.deadlineMs,
    inputTimedOut: read.timedOut,
  });
  const untrusted = modules.modules.flatMap((m) =>
    m.untrustedReason === undefined ? [] : [`${m.desc.name}: ${m.untrustedReason}`],
  );
  return { ok: true, report, core, bytesRead: read.bytesRead, untrusted, pendingRead: read.pendingRead };
}
