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
import { unlinkSync } from 'node:fs';
import { mkdir, statfs } from '@telemetrics/libtelemetry/internal/fs-async';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { Logger } from '@telemetrics/libtelemetry/log';
import { encodeSpoolFile } from '@telemetrics/libtelemetry/wire';
import type { TelemRecord } from '../record.ts';
import { createSpoolAccounting, type SpoolEntry } from './accounting.ts';
import { createDirSync } from './dir-sync.ts';
import { type ReadResult, readSpoolFile } from './read-file.ts';
import { createRecordWriter } from './record-write.ts';
import { recoverTemps } from './recover-temps.ts';
import { compareOldestFirst, type ScannedEntry, scanSpoolDir, tempName } from './scan.ts';

export type { SpoolEntry } from './accounting.ts';
export type { ReadResult } from './read-file.ts';

const NAME_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Longer than C's 6-character mkstemp names, so a rename can never replace one of them. */
export const NAME_LENGTH = 16;
export type PutResult =
  | { readonly ok: true; readonly entry: SpoolEntry }
  | { readonly ok: false; readonly reason: 'full' | 'io'; readonly code?: string; readonly detail: string };

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
  const accounting = createSpoolAccounting();
  const leases = leasesFor(dir);
  let reserved = 0;
  /** open()'s scan, for the first list() while no put() has added a file it does not show. */
  let openScan: readonly ScannedEntry[] | undefined;
  let closed = false;
  const writer = createRecordWriter({
    dir,
    mode: options.writer ?? 'auto',
    dirSync: createDirSync(dir),
    logger: options.logger,
    onWriterThread: options.onWriterThread,
  });

  /** A name no file and no lease has, and not C's (6 characters): see NAME_LENGTH. */
  function unusedName(taken: (name: string) => boolean): string {
    let name = freshName();
    while (taken(name)) name = freshName();
    return name;
  }

  /** Scan the directory, reconcile the accounting: the entries as they are now. */
  async function rescan(): Promise<readonly ScannedEntry[]> {
    const scanGen = accounting.nextGeneration();
    const entries = (await scanSpoolDir(dir)).entries;
    accounting.reconcile(entries, scanGen);
    return entries;
  }

  /** Write `bytes` under `name` (leased by the caller) and account for it; the store's answer. */
  async function writeLeased(name: string, bytes: Buffer, keepLease: boolean): Promise<PutResult> {
    const outcome = await writer.write({ tmp: nextTempName(), final: name, bytes });
    if (outcome.kind !== 'written') {
      leases.delete(name);
      const code = outcome.kind === 'failed' ? outcome.code : 'EIO';
      const detail = outcome.kind === 'unsent' ? 'not written' : outcome.detail;
      return { ok: false, reason: 'io', code, detail };
    }
    const entry = { name, bytes: bytes.length, mtimeMs: outcome.mtimeMs };
    accounting.account(entry);
    openScan = undefined;
    if (!outcome.durable) {
      // The record is complete under its name but its directory entry may not be
      // durable: keep it and account for it; only the durability promise failed.
      leases.delete(name);
      return { ok: false, reason: 'io', code: outcome.code, detail: outcome.detail };
    }
    if (!keepLease) leases.delete(name);
    return { ok: true, entry };
  }

  return {
    dir,
    maxBytes,
    get bytes() {
      return accounting.used;
    },
    get files() {
      return accounting.files;
    },
    get dirSyncs() {
      return writer.dirSyncs;
    },

    async open() {
      await mkdir(dir, { recursive: true, mode: 0o750 });
      writer.memoryFs = await isMemoryFs(dir);
      const scan = await scanSpoolDir(dir);
      const taken = new Set(scan.entries.map((e) => e.name));
      const temps = await recoverTemps(dir, scan.temps, {
        ownPid: process.pid,
        uid,
        freshName: () => {
          const name = unusedName((n) => taken.has(n) || leases.has(n));
          taken.add(name);
          return name;
        },
      });
      const entries = [...scan.entries, ...temps.recovered].sort(compareOldestFirst);
      accounting.reconcile(entries, accounting.nextGeneration());
      openScan = entries;
      return { tempsRemoved: temps.removed, tempsRecovered: temps.recovered.length };
    },

    async put(record, opts = {}) {
      if (closed) return { ok: false, reason: 'io', code: 'ECLOSED', detail: 'spool store is closed' };
      const bytes = encodeSpoolFile(record);
      const used = accounting.used;
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
      const name = unusedName((n) => leases.has(n) || accounting.has(n));
      leases.add(name); // before the rename: a concurrent drain pass must not take it
      try {
        return await writeLeased(name, bytes, opts.lease === true);
      } finally {
        reserved -= bytes.length;
      }
    },

    async read(name) {
      return readSpoolFile(dir, name, uid);
    },

    async remove(name) {
      try {
        // Synchronous for the same reason as read(): one metadata syscall, no thread-pool hand-off.
        unlinkSync(path.join(dir, name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      accounting.unaccount(name);
    },

    forget(name) {
      accounting.unaccount(name);
    },

    async list() {
      const fromOpen = openScan;
      openScan = undefined;
      const entries = fromOpen ?? (await rescan());
      const records: SpoolEntry[] = [];
      const suspects: ListResult['suspects'] = [];
      for (const e of entries) {
        if (leases.has(e.name)) continue;
        if (e.type !== 'file') suspects.push({ name: e.name, kind: 'not-regular' });
        else if (e.uid !== uid) suspects.push({ name: e.name, kind: 'foreign' });
        else records.push({ name: e.name, bytes: e.bytes, mtimeMs: e.mtimeMs });
      }
      records.sort((a, b) => a.mtimeMs - b.mtimeMs || accounting.order(a.name) - accounting.order(b.name));
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
      await writer.close();
    },
  };
}
