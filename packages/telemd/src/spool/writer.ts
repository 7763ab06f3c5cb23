// The spool writer thread: under load, put() hands its records to one
// worker_thread that writes them in batches with synchronous calls, off the
// event loop. Per record: open(tmp, O_EXCL|O_NOFOLLOW) -> write -> fsync ->
// fstat (mtime) -> close -> rename(tmp, final); per batch: ONE directory
// fsync (group commit) before any record of the batch is reported written.
// The main thread then pays one message per batch instead of ~8 thread-pool
// round trips per record.
//
// Started lazily (store.ts decides when) and stopped after `idleMs` without
// work, so an idle daemon does not carry a second V8 isolate. If the thread
// dies, every record it had not reported comes back as `lost` (sent, fate
// unknown) or `unsent` (never handed over); store.ts recovers both, so an
// accepted record is never lost and intake never hangs.
import { Worker } from 'node:worker_threads';
import type { Logger } from '@telemetrics/libtelemetry/log';
import { monotonicMs } from '../observe/clock.ts';

export interface WriteJob {
  /** Names inside the spool directory. */
  readonly tmp: string;
  readonly final: string;
  readonly bytes: Uint8Array;
}

export type WriteOutcome =
  /** Renamed to its final name; `durable` once the directory fsync covering it succeeded. */
  | { readonly kind: 'written'; readonly mtimeMs: number; readonly durable: true }
  | {
      readonly kind: 'written';
      readonly mtimeMs: number;
      readonly durable: false;
      readonly code: string;
      readonly detail: string;
    }
  /** Nothing under the final name; the temp file was removed. */
  | { readonly kind: 'failed'; readonly code: string; readonly detail: string }
  /** The thread died with the job in hand: the final name may or may not exist. */
  | { readonly kind: 'lost'; readonly detail: string }
  /** Never handed to a thread (it died, or is not available): nothing was done. */
  | { readonly kind: 'unsent' };

export interface BatchWriter {
  /** A thread is running or starting. */
  readonly running: boolean;
  /** Threads that died unexpectedly so far. */
  readonly crashes: number;
  /** Directory fsyncs done by the thread (grouped: one per batch). */
  readonly dirSyncs: number;
  submit(job: WriteJob): Promise<WriteOutcome>;
  /** Wait for submitted jobs, stop the thread. Later submits come back `unsent`. */
  close(): Promise<void>;
}

export interface BatchWriterOptions {
  readonly dir: string;
  /** The directory is on tmpfs (statfs): the thread fsyncs file by file, synchronously. */
  readonly memoryFs?: boolean;
  readonly logger?: Logger | undefined;
  /** Records per batch at most (bounds one batch's latency). */
  readonly maxBatch?: number;
  /** How long the first job of a batch waits for others (the thread is idle meanwhile). */
  readonly gatherMs?: number;
  /** Stop the thread after this long without work. */
  readonly idleMs?: number;
  /** After this many unexpected deaths, no new thread is started (submits come back `unsent`). */
  readonly maxCrashes?: number;
  /** Tests: called with each thread started (to kill it at a chosen moment). */
  readonly onThread?: ((worker: Worker) => void) | undefined;
}

/**
 * The batching window: 0, i.e. group commit without waiting. A batch goes to the thread as soon
 * as the thread is free; whatever arrives while it writes and fsyncs forms the next batch, so
 * under load batches grow by themselves and a lone record waits for nothing. Measured with
 * probes waiting for their acknowledgement (docs/intake.md, 2 cores, loaded): 4 SDK senders,
 * ext4, 720 rec/s at 0 ms against 501 at 1 ms and 542 at 4 ms (p50 5.1 ms either way); tmpfs
 * 2612 against 1384 and 741 (p50 0.9, 1.9, 5.1 ms); 1 sender, ext4, 547 against 305 and 143.
 * C senders that do not wait: 2 x 5000 into tmpfs, 9518 rec/s at 0 ms, 9461 at 4 ms.
 */
export const GATHER_MS = 0;

interface JobMeta {
  readonly tmp: string;
  readonly final: string;
  readonly offset: number;
  readonly length: number;
}
interface BatchMessage {
  readonly dir: string;
  /** tmpfs: fsync each file as written (it waits for nothing); else fsync a chunk at once. */
  readonly memoryFs: boolean;
  readonly jobs: readonly JobMeta[];
  readonly data: Uint8Array;
}
type JobReply =
  | { readonly ok: true; readonly mtimeMs: number }
  | { readonly ok: false; readonly code: string; readonly message: string };
interface BatchReply {
  readonly results: readonly JobReply[];
  /** The directory fsync failed: the batch's renamed records are there but maybe not durable. */
  readonly dirError?: { readonly code: string; readonly message: string };
  readonly dirSynced: boolean;
}

/**
 * Write one batch: the whole job of the writer thread. Self-contained (the
 * thread runs it from its source text, so it may use nothing outside its own
 * body and `fs`: the build may bundle or rename this module).
 *
 * On a memory file system every call is synchronous (fsync has nothing to
 * wait for). On a disk the batch's files are written first and then fsynced
 * all at once through the thread pool: concurrent fsyncs share a journal
 * commit, one after the other they would cost one commit each.
 */
async function writeBatch(fs: typeof import('node:fs'), batch: BatchMessage): Promise<BatchReply> {
  const C = fs.constants;
  const FLAGS = C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW;
  const CHUNK = 64; // files open at once on a disk
  const codeOf = (e: unknown): { code: string; message: string } => {
    const err = e as NodeJS.ErrnoException;
    return { code: typeof err?.code === 'string' ? err.code : 'EIO', message: String(err?.message ?? e) };
  };
  const { dir, jobs, data, memoryFs } = batch;
  const results: JobReply[] = [];
  let renamed = 0;
  for (let first = 0; first < jobs.length; first += memoryFs ? jobs.length : CHUNK) {
    const chunk = jobs.slice(first, memoryFs ? jobs.length : first + CHUNK);
    const state = chunk.map(() => ({ fd: -1, made: false, error: undefined as unknown, mtimeMs: 0 }));
    chunk.forEach((job, i) => {
      const st = state[i]!;
      try {
        st.fd = fs.openSync(`${dir}/${job.tmp}`, FLAGS, 0o600);
        st.made = true;
        let off = job.offset;
        const end = job.offset + job.length;
        while (off < end) off += fs.writeSync(st.fd, data, off, end - off);
        if (memoryFs) fs.fsyncSync(st.fd);
      } catch (e) {
        st.error = e;
      }
    });
    if (!memoryFs) {
      await Promise.all(
        state.map((st) =>
          st.error !== undefined || st.fd < 0
            ? undefined
            : new Promise<void>((resolve) => {
                fs.fsync(st.fd, (err) => {
                  if (err) st.error = err;
                  resolve();
                });
              }),
        ),
      );
    }
    chunk.forEach((job, i) => {
      const st = state[i]!;
      const tmpPath = `${dir}/${job.tmp}`;
      if (st.fd >= 0) {
        try {
          if (st.error === undefined) st.mtimeMs = fs.fstatSync(st.fd).mtimeMs;
        } catch (e) {
          st.error = e;
        }
        try {
          fs.closeSync(st.fd);
        } catch (e) {
          if (st.error === undefined) st.error = e;
        }
      }
      if (st.error === undefined) {
        try {
          fs.renameSync(tmpPath, `${dir}/${job.final}`);
          renamed++;
          results.push({ ok: true, mtimeMs: st.mtimeMs });
          return;
        } catch (e) {
          st.error = e;
        }
      }
      if (st.made) {
        try {
          fs.unlinkSync(tmpPath);
        } catch {}
      }
      results.push({ ok: false, ...codeOf(st.error) });
    });
  }
  if (renamed === 0) return { results, dirSynced: false };
  try {
    const d = fs.openSync(dir, C.O_RDONLY | C.O_DIRECTORY);
    try {
      fs.fsyncSync(d);
    } finally {
      fs.closeSync(d);
    }
  } catch (e) {
    return { results, dirError: codeOf(e), dirSynced: false };
  }
  return { results, dirSynced: true };
}

const THREAD_SOURCE = `const writeBatch = ${writeBatch.toString()};
const fs = require('node:fs');
const { parentPort } = require('node:worker_threads');
parentPort.on('message', async (batch) => parentPort.postMessage(await writeBatch(fs, batch)));`;

interface Pending {
  readonly job: WriteJob;
  readonly resolve: (outcome: WriteOutcome) => void;
}

/** The outcome of job `i` of a batch, from the thread's reply. */
function outcomeOf(reply: BatchReply, i: number): WriteOutcome {
  const r = reply.results[i];
  if (!r) return { kind: 'lost', detail: 'no result for the job' };
  if (!r.ok) return { kind: 'failed', code: r.code, detail: r.message };
  if (reply.dirError) {
    return {
      kind: 'written',
      mtimeMs: r.mtimeMs,
      durable: false,
      code: reply.dirError.code,
      detail: `directory fsync: ${reply.dirError.message}`,
    };
  }
  return { kind: 'written', mtimeMs: r.mtimeMs, durable: true };
}

/** One message for the thread: the jobs' bytes in one fresh buffer, transferred (not copied). */
function packBatch(
  dir: string,
  memoryFs: boolean,
  batch: readonly Pending[],
): { readonly message: BatchMessage; readonly transfer: ArrayBuffer } {
  let total = 0;
  for (const p of batch) total += p.job.bytes.length;
  const data = new Uint8Array(total);
  const jobs: JobMeta[] = [];
  let offset = 0;
  for (const p of batch) {
    data.set(p.job.bytes, offset);
    jobs.push({ tmp: p.job.tmp, final: p.job.final, offset, length: p.job.bytes.length });
    offset += p.job.bytes.length;
  }
  return { message: { dir, memoryFs, jobs, data }, transfer: data.buffer };
}

export function createBatchWriter(options: BatchWriterOptions): BatchWriter {
  const maxBatch = options.maxBatch ?? 256;
  const idleMs = options.idleMs ?? 10_000;
  const maxCrashes = options.maxCrashes ?? 3;
  const gatherMs = options.gatherMs ?? GATHER_MS;
  let worker: Worker | undefined;
  let queue: Pending[] = [];
  let outstanding: Pending[] | undefined;
  let flushScheduled = false;
  let idleTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  let closed = false;
  let crashes = 0;
  let dirSyncs = 0;
  let sentAt = 0;
  let closeWaiters: Array<() => void> = [];

  function start(): Worker {
    const w = new Worker(THREAD_SOURCE, { eval: true, name: 'telemd-spool-writer' });
    w.on('message', (reply: BatchReply) => {
      if (w === worker) onReply(reply);
    });
    // An 'error' is always followed by 'exit'; recovery happens there, once.
    w.on('error', (err: Error) => {
      options.logger?.log('err', 'spool writer thread failed', { detail: err.message });
    });
    w.on('exit', (code: number) => onExit(w, code));
    options.onThread?.(w);
    return w;
  }

  function onReply(reply: BatchReply): void {
    const batch = outstanding;
    if (!batch) return;
    outstanding = undefined;
    if (reply.dirSynced) dirSyncs++;
    for (const [i, p] of batch.entries()) p.resolve(outcomeOf(reply, i));
    // The next batch gathered while this one was written: send it once gatherMs has passed
    // since this one was sent (at once after a slow batch, e.g. fsyncs on a busy disk).
    if (queue.length > 0) scheduleFlush(Math.max(0, gatherMs - (monotonicMs() - sentAt)));
    settleIfIdle();
  }

  function onExit(w: Worker, code: number): void {
    if (w !== worker) return;
    worker = undefined;
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
    const expected = stopping;
    stopping = false;
    const lost = outstanding ?? [];
    outstanding = undefined;
    const unsent = queue;
    queue = [];
    if (!expected || lost.length > 0) {
      crashes++;
      options.logger?.log('err', 'spool writer thread died; its records are written again', {
        exit_code: code,
        in_hand: lost.length,
        queued: unsent.length,
        crashes,
      });
    }
    for (const p of lost) p.resolve({ kind: 'lost', detail: `spool writer thread exited (${code})` });
    for (const p of unsent) p.resolve({ kind: 'unsent' });
    settleIfIdle();
  }

  function scheduleFlush(delayMs = gatherMs): void {
    if (flushScheduled) return;
    if (queue.length >= maxBatch) {
      flush();
      return;
    }
    flushScheduled = true;
    if (delayMs <= 0) {
      // No window, but the rest of this turn of the event loop: the records of every connection
      // read in the same poll phase go in one message (one postMessage per record was 20 % of
      // the main thread's CPU in a C-sender burst on tmpfs, where the thread answers at once).
      setImmediate(flush);
      return;
    }
    // Collect what arrives within gatherMs into one batch (GATHER_MS: 0 by default, batches form
    // while the previous one is written). A probe on our SDK waits for its answer meanwhile, so
    // a window costs every acknowledged record its length. (Writing batches synchronously on
    // the event loop instead, even on tmpfs, cost the event loop more CPU per record than the
    // thread: measured.)
    setTimeout(flush, delayMs);
  }

  function flush(): void {
    flushScheduled = false;
    if (outstanding || queue.length === 0 || !worker) return;
    const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
    queue = batch === queue ? [] : queue.slice(maxBatch);
    outstanding = batch;
    sentAt = monotonicMs();
    const { message, transfer } = packBatch(options.dir, options.memoryFs ?? false, batch);
    worker.ref();
    worker.postMessage(message, [transfer]);
  }

  function settleIfIdle(): void {
    if (outstanding || queue.length > 0) return;
    if (worker) {
      // Idle: the thread must not keep the process alive, and goes away after idleMs.
      worker.unref();
      if (closed) stop();
      else if (!idleTimer) {
        idleTimer = setTimeout(() => {
          idleTimer = undefined;
          if (!outstanding && queue.length === 0) stop();
        }, idleMs);
        idleTimer.unref();
      }
      return;
    }
    const waiters = closeWaiters;
    closeWaiters = [];
    for (const w of waiters) w();
  }

  function stop(): void {
    if (!worker || stopping) return;
    stopping = true;
    void worker.terminate();
  }

  return {
    get running() {
      return worker !== undefined;
    },
    get crashes() {
      return crashes;
    },
    get dirSyncs() {
      return dirSyncs;
    },
    submit(job) {
      if (closed || crashes >= maxCrashes) return Promise.resolve({ kind: 'unsent' });
      if (idleTimer) {
        clearTimeout(idleTimer);
        idleTimer = undefined;
      }
      if (stopping) return Promise.resolve({ kind: 'unsent' });
      worker ??= start();
      return new Promise<WriteOutcome>((resolve) => {
        queue.push({ job, resolve });
        if (!outstanding) scheduleFlush();
      });
    },
    close() {
      closed = true;
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = undefined;
      return new Promise<void>((resolve) => {
        closeWaiters.push(resolve);
        settleIfIdle();
      });
    },
  };
}
