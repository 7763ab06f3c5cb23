// The spool directory: one file per record in C's format (spec 7.2), written
// crash-safe:
//
//   open(.tmp-<pid>-<tag>-<seq>, O_EXCL|O_NOFOLLOW, 0600) -> write -> fsync -> fstat -> close
//   -> rename(tmp, <16 random [A-Za-z0-9]>)
//   -> fsync(directory)      (one fsync covers every rename since the last)
//
// Final names are 16 characters: C's telemprobd, which may share the
// directory, only makes 6-character mkstemp names (spec 7.1), and our own
// are drawn from 95 random bits and checked against the index, so the rename
// cannot replace anyone's record (the old link + unlink pair bought the same
// no-clobber guarantee with one more round trip).
//
// Under load the writes go to a worker thread in batches with one directory
// fsync per batch (writer.ts); a lone record is written from here through the
// thread pool, so an idle daemon has no extra thread. put() resolves only
// after the record's data and its directory entry are fsynced, either way.
//
// A crash leaves either nothing, a temp file (ignored by scans, removed at
// the next start) or a complete record; never a half record under a final
// name (C wrote final names in place, BUG-12). Write errors (ENOSPC, EIO) are
// returned, never thrown, and never touch files already spooled (BUG-13).
//
// Accounting: the spool's size is the sum of st_size of the visible record
// files, measured by a scan at open() and tracked exactly afterwards (each
// file's size is remembered by name, so a delete subtracts exactly what was
// added; C drifted, BUG-23). spool_max_size is enforced at intake: a record
// that would take the spool past the cap is refused (the newest loses,
// already spooled records are kept) and the caller logs and counts it.
import { randomBytes } from '@telemetrics/libtelemetry';
import { closeSync, constants, fstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import {
  close,
  fstat,
  fsync,
  fsyncDir,
  mkdir,
  open,
  rename,
  statfs,
  unlink,
  writeAll,
} from '@telemetrics/libtelemetry/internal/fs-async';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { Logger } from '@telemetrics/libtelemetry/log';
import {
  type DecodedSpoolRecord,
  decodeSpoolFile,
  encodeSpoolFile,
  MAX_SPOOL_FILE_BYTES,
} from '@telemetrics/libtelemetry/wire';
import type { TelemRecord } from '../record.ts';
import { recoverTemps } from './recover-temps.ts';
import { compareOldestFirst, type ScannedEntry, scanSpoolDir, tempName } from './scan.ts';
// writer.ts (and node:worker_threads) is loaded on first use: a daemon that never sees a burst
// does not pay for it at start-up.
import type { BatchWriter, WriteJob, WriteOutcome } from './writer.ts';
import { monotonicMs } from '../observe/clock.ts';

const NAME_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Longer than C's 6-character mkstemp names, so a rename can never replace one of them. */
export const NAME_LENGTH = 16;
const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
/** auto: the writer thread starts when this many inline writes are in flight... */
const THREAD_AT_IN_FLIGHT = 4;
/** ...or when more puts than this arrive within THREAD_WINDOW_MS. */
const THREAD_AT_PUTS = 20;
const THREAD_WINDOW_MS = 100;

export interface SpoolEntry {
  readonly name: string;
  readonly bytes: number;
  readonly mtimeMs: number;
}

export type PutResult =
  | { readonly ok: true; readonly entry: SpoolEntry }
  | { readonly ok: false; readonly reason: 'full' | 'io'; readonly code?: string; readonly detail: string };

export type ReadResult =
  | { readonly ok: true; readonly record: TelemRecord; readonly bytes: number }
  | {
      readonly ok: false;
      readonly kind: 'gone' | 'format' | 'foreign' | 'not-regular' | 'io';
      readonly detail: string;
    };

export interface ListResult {
  /** Regular files owned by us, oldest first, not leased. */
  readonly records: SpoolEntry[];
  /** Entries the store will not deliver: not regular files, or owned by another uid. */
  readonly suspects: Array<{ readonly name: string; readonly kind: 'foreign' | 'not-regular' }>;
}

export interface SpoolStoreOptions {
  readonly dir: string;
  /** Bytes; -1 = unlimited (spool_max_size is KiB: pass spool_max_size * 1024). */
  readonly maxBytes: number;
  /** Owner expected of spool files (ours): process.getuid(). */
  readonly uid: number;
  /**
   * Who writes records: `auto` (default) writes a lone record through the thread pool and
   * starts the batching writer thread (writer.ts) when puts come in bursts; `inline` never
   * starts the thread; `thread` always uses it (tests).
   */
  readonly writer?: 'auto' | 'inline' | 'thread';
  /** Writer-thread failures are logged here. */
  readonly logger?: Logger;
  /** Tests: each writer thread started, to kill it at a chosen moment. */
  readonly onWriterThread?: (worker: Worker) => void;
}

export interface SpoolStore {
  readonly dir: string;
  readonly maxBytes: number;
  /** Sum of st_size of the records the store knows. */
  readonly bytes: number;
  readonly files: number;
  /** Directory fsyncs done (tests check that they are grouped). */
  readonly dirSyncs: number;
  /**
   * Create the directory if needed, recover complete records from stale temp files
   * (recover-temps.ts) and remove the rest, measure.
   */
  open(): Promise<{ tempsRemoved: number; tempsRecovered: number }>;
  /** Persist a record durably. With `lease`, the new name is returned leased to the caller. */
  put(record: TelemRecord, options?: { lease?: boolean }): Promise<PutResult>;
  read(name: string): Promise<ReadResult>;
  /** Unlink a record (ENOENT is success: someone else removed it). */
  remove(name: string): Promise<void>;
  /** Drop a name from the accounting after it was moved away (quarantine). */
  forget(name: string): void;
  /**
   * Rescan the directory, reconcile the accounting, list what can be delivered. The first call
   * after open() uses open()'s scan when no record was put since: a start with 10k spooled
   * files does not lstat each of them twice.
   */
  list(): Promise<ListResult>;
  /** Exclusive use of a name while one party reads/delivers it. */
  tryLease(name: string): boolean;
  release(name: string): void;
  close(): Promise<void>;
}

/**
 * Leases per spool directory, shared by every store of this process. A config
 * reload (daemon.ts) runs the retiring pipeline and the new one side by side
 * for a moment; with per-store leases the old drainer could send a record the
 * new pipeline is sending, to the old server.
 */
const LEASES_BY_DIR = new Map<string, Set<string>>();

function leasesFor(dir: string): Set<string> {
  const key = path.resolve(dir);
  let set = LEASES_BY_DIR.get(key);
  if (!set) {
    set = new Set();
    LEASES_BY_DIR.set(key, set);
  }
  return set;
}

/**
 * Reads a file of `size` bytes (fstat) to its end: one read(2) when the size held, more if
 * a writer is still appending (a C telemprobd writes in place); never past the record cap.
 */
function readWhole(fd: number, size: number): Buffer {
  let buf = Buffer.allocUnsafe(size + 1);
  let length = 0;
  for (;;) {
    if (length === buf.length) {
      if (buf.length > MAX_SPOOL_FILE_BYTES) break;
      const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, MAX_SPOOL_FILE_BYTES + 1));
      buf.copy(bigger, 0, 0, length);
      buf = bigger;
    }
    const n = readSync(fd, buf, length, buf.length - length, length);
    if (n === 0) break;
    length += n;
  }
  return buf.subarray(0, length);
}

const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

async function isMemoryFs(dir: string): Promise<boolean> {
  try {
    const { type } = await statfs(dir);
    return type === TMPFS_MAGIC || type === RAMFS_MAGIC;
  } catch {
    return false;
  }
}

// Names come from a pool of random bytes (one randomBytes call per 256 names).
const NAME_CODES = Buffer.from(NAME_ALPHABET, 'latin1');
const nameBytes = Buffer.alloc(NAME_LENGTH);
let namePool = Buffer.alloc(0);
let namePos = 0;
function freshName(): string {
  if (namePos + NAME_LENGTH > namePool.length) {
    namePool = randomBytes(NAME_LENGTH * 256);
    namePos = 0;
  }
  for (let i = 0; i < NAME_LENGTH; i++) nameBytes[i] = NAME_CODES[namePool[namePos++]! % NAME_CODES.length]!;
  return nameBytes.toString('latin1');
}

// Temp names: pid, a tag drawn once per process (a crashed writer may have had our pid),
// and a sequence number.
let tempTag: string | undefined;
let tempSeq = 0;
function nextTempName(): string {
  tempTag ??= randomBytes(4).toString('hex');
  return tempName(process.pid, `${tempTag}-${(tempSeq++).toString(36)}`);
}

export function createSpoolStore(options: SpoolStoreOptions): SpoolStore {
  const { dir, maxBytes, uid } = options;
  // name -> accounted entry; `gen` is the scan generation when it was added.
  // `seq` orders our own writes whose mtimes tie (file timestamps are coarse, ~4 ms).
  const index = new Map<string, SpoolEntry & { gen: number; seq: number }>();
  let seq = 0;
  const leases = leasesFor(dir);
  let used = 0;
  let reserved = 0;
  let generation = 0;
  /** open()'s scan, for the first list() while no put() has added a file it does not show. */
  let openScan: readonly ScannedEntry[] | undefined;
  let dirSyncs = 0;
  let closed = false;
  const writerMode = options.writer ?? 'auto';
  let writer: BatchWriter | undefined;
  let inlineInFlight = 0;
  let windowStart = 0;
  let windowPuts = 0;

  // Set by open(): the spool is on a memory file system (tmpfs), where fsync waits for nothing.
  let memoryFs = false;

  let loadingWriter: Promise<void> | undefined;
  async function submitToThread(job: WriteJob): Promise<WriteOutcome> {
    if (!writer) {
      loadingWriter ??= import('./writer.ts').then(
        (m) => {
          writer = m.createBatchWriter({
            dir,
            memoryFs,
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
    if (writerMode !== 'auto') return writerMode === 'thread';
    if (writer?.running) return true;
    const now = monotonicMs();
    if (now - windowStart > THREAD_WINDOW_MS) {
      windowStart = now;
      windowPuts = 0;
    }
    windowPuts++;
    return inlineInFlight >= THREAD_AT_IN_FLIGHT || windowPuts > THREAD_AT_PUTS;
  }

  function account(entry: SpoolEntry): void {
    const old = index.get(entry.name);
    if (old) used -= old.bytes;
    index.set(entry.name, { ...entry, gen: generation, seq: old?.seq ?? seq++ });
    used += entry.bytes;
  }
  function unaccount(name: string): void {
    const old = index.get(name);
    if (old) {
      used -= old.bytes;
      index.delete(name);
    }
  }

  // Directory fsync grouping: while one fsync runs, every later request waits
  // for ONE following fsync, which covers all links made until it starts.
  let inFlight: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  function startDirSync(): Promise<void> {
    const p = (async () => {
      await fsyncDir(dir);
      dirSyncs++;
    })();
    inFlight = p.finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }
  function syncDir(): Promise<void> {
    if (queued) return queued;
    if (inFlight) {
      queued = inFlight
        .catch(() => {})
        .then(() => {
          queued = undefined;
          return startDirSync();
        });
      return queued;
    }
    return startDirSync();
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
        await syncDir();
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

  async function reconcile(entries: readonly ScannedEntry[], scanGen: number): Promise<void> {
    const seen = new Set<string>();
    for (const e of entries) {
      seen.add(e.name);
      if (e.type === 'file') {
        const known = index.get(e.name);
        if (!known || known.bytes !== e.bytes || known.mtimeMs !== e.mtimeMs) {
          account({ name: e.name, bytes: e.bytes, mtimeMs: e.mtimeMs });
        }
      }
    }
    // Known names the scan did not see, and that existed before it started, were removed by others.
    for (const [name, e] of index) if (!seen.has(name) && e.gen < scanGen) unaccount(name);
  }

  return {
    dir,
    maxBytes,
    get bytes() {
      return used;
    },
    get files() {
      return index.size;
    },
    get dirSyncs() {
      return dirSyncs + (writer?.dirSyncs ?? 0);
    },

    async open() {
      await mkdir(dir, { recursive: true, mode: 0o750 });
      memoryFs = await isMemoryFs(dir);
      const scan = await scanSpoolDir(dir);
      const taken = new Set(scan.entries.map((e) => e.name));
      const temps = await recoverTemps(dir, scan.temps, {
        ownPid: process.pid,
        uid,
        freshName: () => {
          let name = freshName();
          while (taken.has(name) || leases.has(name)) name = freshName();
          taken.add(name);
          return name;
        },
      });
      const entries = [...scan.entries, ...temps.recovered].sort(compareOldestFirst);
      generation++;
      await reconcile(entries, generation);
      openScan = entries;
      return { tempsRemoved: temps.removed, tempsRecovered: temps.recovered.length };
    },

    async put(record, opts = {}) {
      if (closed) return { ok: false, reason: 'io', code: 'ECLOSED', detail: 'spool store is closed' };
      const bytes = encodeSpoolFile(record);
      if (maxBytes >= 0 && used + reserved + bytes.length > maxBytes) {
        return {
          ok: false,
          reason: 'full',
          // Reserved bytes (writes in flight) count against the cap too: without them the line
          // read as if the record fitted (issue 15).
          detail: `spool holds ${used} of ${maxBytes} bytes and ${reserved} are reserved for writes in flight; a record of ${bytes.length} does not fit`,
        };
      }
      reserved += bytes.length;
      let name = freshName();
      while (leases.has(name) || index.has(name)) name = freshName();
      leases.add(name); // before the rename: a concurrent drain pass must not take it
      try {
        const job = { tmp: nextTempName(), final: name, bytes };
        let outcome = useThread() ? await submitToThread(job) : await writeInline(job);
        if (outcome.kind === 'lost') {
          // The thread died with the record in hand. Whatever it did, write the record again
          // under the same final name: the rename replaces a complete copy with a complete copy.
          await unlink(path.join(dir, job.tmp)).catch(() => {});
          outcome = await writeInline(job);
          // Refused means nothing under the name, whatever the dead thread left there.
          if (outcome.kind === 'failed') await unlink(path.join(dir, name)).catch(() => {});
        } else if (outcome.kind === 'unsent') outcome = await writeInline(job);
        if (outcome.kind === 'failed' || outcome.kind === 'lost' || outcome.kind === 'unsent') {
          leases.delete(name);
          const code = outcome.kind === 'failed' ? outcome.code : 'EIO';
          const detail = outcome.kind === 'unsent' ? 'not written' : outcome.detail;
          return { ok: false, reason: 'io', code, detail };
        }
        const entry = { name, bytes: bytes.length, mtimeMs: outcome.mtimeMs };
        account(entry);
        openScan = undefined;
        if (!outcome.durable) {
          // The record is complete under its name but its directory entry may not be
          // durable: keep it and account for it; only the durability promise failed.
          leases.delete(name);
          return { ok: false, reason: 'io', code: outcome.code, detail: outcome.detail };
        }
        if (!opts.lease) leases.delete(name);
        return { ok: true, entry };
      } finally {
        reserved -= bytes.length;
      }
    },

    async read(name) {
      // Synchronous on purpose: a spool file is small (at most MAX_SPOOL_FILE_BYTES, ~50 KiB;
      // typically under 1 KiB) and local, and four blocking syscalls cost ~10 us of CPU where
      // the promise API paid ~110 us in thread-pool hand-offs (open, fstat, fstat, read, close).
      // The drain reads one file per delivery, so that hand-off was its largest single cost.
      const file = path.join(dir, name);
      let fd: number;
      try {
        // O_NOFOLLOW: a symlink fails with ELOOP; O_NONBLOCK: a FIFO cannot block us.
        fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return { ok: false, kind: 'gone', detail: 'removed meanwhile' };
        if (code === 'ELOOP') return { ok: false, kind: 'not-regular', detail: 'symbolic link' };
        return { ok: false, kind: 'io', detail: `open: ${code}` };
      }
      try {
        const st = fstatSync(fd);
        if (!st.isFile()) return { ok: false, kind: 'not-regular', detail: 'not a regular file' };
        if (st.uid !== uid) return { ok: false, kind: 'foreign', detail: `owned by uid ${st.uid}` };
        if (st.size > MAX_SPOOL_FILE_BYTES) {
          return { ok: false, kind: 'format', detail: `${st.size} bytes, larger than any record` };
        }
        const bytes = readWhole(fd, st.size);
        const decoded = decodeSpoolFile(bytes);
        if (!decoded.ok) return { ok: false, kind: 'format', detail: `${decoded.code}: ${decoded.detail}` };
        const r: DecodedSpoolRecord = decoded.value;
        return {
          ok: true,
          record: { headers: r.headers, payload: r.payload, cfgPath: r.cfgPath },
          bytes: bytes.length,
        };
      } catch (err) {
        return { ok: false, kind: 'io', detail: (err as Error).message };
      } finally {
        closeSync(fd);
      }
    },

    async remove(name) {
      try {
        // Synchronous for the same reason as read(): one metadata syscall, no thread-pool hand-off.
        unlinkSync(path.join(dir, name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      unaccount(name);
    },

    forget(name) {
      unaccount(name);
    },

    async list() {
      let entries = openScan;
      openScan = undefined;
      if (entries === undefined) {
        generation++;
        const scanGen = generation;
        entries = (await scanSpoolDir(dir)).entries;
        await reconcile(entries, scanGen);
      }
      const records: SpoolEntry[] = [];
      const suspects: ListResult['suspects'] = [];
      for (const e of entries) {
        if (leases.has(e.name)) continue;
        if (e.type !== 'file') suspects.push({ name: e.name, kind: 'not-regular' });
        else if (e.uid !== uid) suspects.push({ name: e.name, kind: 'foreign' });
        else records.push({ name: e.name, bytes: e.bytes, mtimeMs: e.mtimeMs });
      }
      const order = (name: string) => index.get(name)?.seq ?? Number.MAX_SAFE_INTEGER;
      records.sort((a, b) => a.mtimeMs - b.mtimeMs || order(a.name) - order(b.name));
      return { records, suspects };
    },

    tryLease(name) {
      if (leases.has(name)) return false;
      leases.add(name);
      return true;
    },
    release(name) {
      leases.delete(name);
    },

    async close() {
      closed = true;
      await loadingWriter;
      await writer?.close();
      await (queued ?? inFlight)?.catch(() => {});
    },
  };
}
