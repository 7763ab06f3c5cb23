// How a record file is written durably: temp file, write, fsync, rename to its final name,
// grouped directory fsync. A lone record goes through the thread pool (writeInline); puts that
// come in bursts start the batching writer thread (writer.ts), which does the same steps for
// many records with one directory fsync. A thread that dies or never starts costs speed, never
// a record: what it did not finish is written again inline.
import { constants } from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import {
  close,
  fstat,
  fsync,
  open,
  rename,
  unlink,
  writeAll,
} from '@telemetrics/libtelemetry/internal/fs-async';
import type { Logger } from '@telemetrics/libtelemetry/log';
import { monotonicMs } from '../observe/clock.ts';
import type { DirSync } from './dir-sync.ts';
import type { BatchWriter, WriteJob, WriteOutcome } from './writer.ts';

const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
/** auto: the writer thread starts when this many inline writes are in flight... */
const THREAD_AT_IN_FLIGHT = 4;
/** ...or when more puts than this arrive within THREAD_WINDOW_MS. */
const THREAD_AT_PUTS = 20;
const THREAD_WINDOW_MS = 100;

export interface RecordWriterOptions {
  readonly dir: string;
  /** `auto`, `inline` or `thread`: see SpoolStoreOptions.writer. */
  readonly mode: 'auto' | 'inline' | 'thread';
  readonly dirSync: DirSync;
  readonly logger?: Logger | undefined;
  readonly onWriterThread?: ((worker: Worker) => void) | undefined;
}

export interface RecordWriter {
  /** Write `job` durably; the outcome is `written` or `failed` (a lost or unsent job is retried inline). */
  write(job: WriteJob): Promise<WriteOutcome>;
  /** Set by the store's open(): on tmpfs fsync waits for nothing, the thread skips it. */
  memoryFs: boolean;
  /** Directory fsyncs done, inline and by the thread. */
  readonly dirSyncs: number;
  close(): Promise<void>;
}

export function createRecordWriter(options: RecordWriterOptions): RecordWriter {
  const { dir, mode, dirSync } = options;
  let writer: BatchWriter | undefined;
  let loadingWriter: Promise<void> | undefined;
  let inlineInFlight = 0;
  let windowStart = 0;
  let windowPuts = 0;

  async function submitToThread(job: WriteJob): Promise<WriteOutcome> {
    if (!writer) {
      loadingWriter ??= import('./writer.ts').then(
        (m) => {
          writer = m.createBatchWriter({
            dir,
            memoryFs: self.memoryFs,
            logger: options.logger,
            onThread: options.onWriterThread,
          });
        },
        (err: Error) => {
          // Without the thread every record goes through the thread pool: slower, as safe.
          options.logger?.log('err', 'cannot load the spool writer thread', { detail: err.message });
        },
      );
      await loadingWriter;
    }
    return writer ? writer.submit(job) : { kind: 'unsent' };
  }

  function useThread(): boolean {
    if (mode !== 'auto') return mode === 'thread';
    if (writer?.running) return true;
    const now = monotonicMs();
    if (now - windowStart > THREAD_WINDOW_MS) {
      windowStart = now;
      windowPuts = 0;
    }
    windowPuts++;
    return inlineInFlight >= THREAD_AT_IN_FLIGHT || windowPuts > THREAD_AT_PUTS;
  }

  /** One record through the thread pool: the writer thread's steps, awaited one by one. */
  async function writeInline(job: WriteJob): Promise<WriteOutcome> {
    inlineInFlight++;
    const tmp = path.join(dir, job.tmp);
    let made = false;
    try {
      const fd = await open(tmp, WRITE_FLAGS, 0o600);
      made = true;
      let mtimeMs: number;
      try {
        await writeAll(fd, job.bytes);
        await fsync(fd);
        mtimeMs = (await fstat(fd)).mtimeMs;
      } finally {
        await close(fd);
      }
      await rename(tmp, path.join(dir, job.final));
      made = false;
      try {
        await dirSync.sync();
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        return { kind: 'written', mtimeMs, durable: false, code: e.code ?? 'EIO', detail: e.message };
      }
      return { kind: 'written', mtimeMs, durable: true };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (made) await unlink(tmp).catch(() => {});
      return { kind: 'failed', code: e.code ?? 'EIO', detail: e.message };
    } finally {
      inlineInFlight--;
    }
  }

  const self: RecordWriter = {
    memoryFs: false,
    async write(job) {
      const outcome = useThread() ? await submitToThread(job) : await writeInline(job);
      if (outcome.kind === 'lost') {
        // The thread died with the record in hand. Whatever it did, write the record again
        // under the same final name: the rename replaces a complete copy with a complete copy.
        await unlink(path.join(dir, job.tmp)).catch(() => {});
        const again = await writeInline(job);
        // Refused means nothing under the name, whatever the dead thread left there.
        if (again.kind === 'failed') await unlink(path.join(dir, job.final)).catch(() => {});
        return again;
      }
      return outcome.kind === 'unsent' ? writeInline(job) : outcome;
    },
    get dirSyncs() {
      return dirSync.count + (writer?.dirSyncs ?? 0);
    },
    async close() {
      await loadingWriter;
      await writer?.close();
      await dirSync.settled();
    },
  };
  return self;
}
