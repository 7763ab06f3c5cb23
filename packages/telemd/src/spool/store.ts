// The spool directory: one file per record in C's format (spec 7.2), written
// crash-safe:
//
//   open(.tmp-<pid>-<random>, O_EXCL|O_NOFOLLOW, 0600) -> write -> fsync -> close
//   -> link(tmp, <6 random [A-Za-z0-9]>)   (fails with EEXIST: O_EXCL for names)
//   -> unlink(tmp) -> fsync(directory)      (one fsync covers every link since the last)
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
import { randomBytes, randomInt } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import { link, mkdir, open, unlink } from 'node:fs/promises';
import path from 'node:path';
import {
  type DecodedSpoolRecord,
  decodeSpoolFile,
  encodeSpoolFile,
  MAX_SPOOL_FILE_BYTES,
} from '@telemetrics/libtelemetry/wire';
import type { TelemRecord } from '../record.ts';
import { removeTemps, type ScannedEntry, scanSpoolDir, tempName } from './scan.ts';

const NAME_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const NAME_LENGTH = 6;
const NAME_ATTEMPTS = 32;

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
}

export interface SpoolStore {
  readonly dir: string;
  readonly maxBytes: number;
  /** Sum of st_size of the records the store knows. */
  readonly bytes: number;
  readonly files: number;
  /** Directory fsyncs done (tests check that they are grouped). */
  readonly dirSyncs: number;
  /** Create the directory if needed, remove stale temp files, measure. Returns temps removed. */
  open(): Promise<{ tempsRemoved: number }>;
  /** Persist a record durably. With `lease`, the new name is returned leased to the caller. */
  put(record: TelemRecord, options?: { lease?: boolean }): Promise<PutResult>;
  read(name: string): Promise<ReadResult>;
  /** Unlink a record (ENOENT is success: someone else removed it). */
  remove(name: string): Promise<void>;
  /** Drop a name from the accounting after it was moved away (quarantine). */
  forget(name: string): void;
  /** Rescan the directory, reconcile the accounting, list what can be delivered. */
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

function randomName(): string {
  let s = '';
  for (let i = 0; i < NAME_LENGTH; i++) s += NAME_ALPHABET[randomInt(NAME_ALPHABET.length)];
  return s;
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
  let dirSyncs = 0;
  let closed = false;

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
      const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
      try {
        await fh.sync();
        dirSyncs++;
      } finally {
        await fh.close();
      }
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
      return dirSyncs;
    },

    async open() {
      await mkdir(dir, { recursive: true, mode: 0o750 });
      const scan = await scanSpoolDir(dir);
      const tempsRemoved = await removeTemps(dir, scan.temps, process.pid);
      generation++;
      await reconcile(scan.entries, generation);
      return { tempsRemoved };
    },

    async put(record, opts = {}) {
      if (closed) return { ok: false, reason: 'io', code: 'ECLOSED', detail: 'spool store is closed' };
      const bytes = encodeSpoolFile(record);
      if (maxBytes >= 0 && used + reserved + bytes.length > maxBytes) {
        return {
          ok: false,
          reason: 'full',
          detail: `spool holds ${used} of ${maxBytes} bytes; a record of ${bytes.length} does not fit`,
        };
      }
      reserved += bytes.length;
      const tmp = path.join(dir, tempName(process.pid, randomBytes(8).toString('hex')));
      let tmpExists = false;
      let leased: string | undefined;
      try {
        const fh = await open(
          tmp,
          constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
          0o600,
        );
        tmpExists = true;
        try {
          await fh.writeFile(bytes);
          await fh.sync();
        } finally {
          await fh.close();
        }
        let name: string | undefined;
        for (let i = 0; i < NAME_ATTEMPTS && name === undefined; i++) {
          const candidate = randomName();
          if (leases.has(candidate) || index.has(candidate)) continue;
          leases.add(candidate); // before link: a concurrent drain pass must not take it
          try {
            await link(tmp, path.join(dir, candidate));
            name = candidate;
          } catch (err) {
            leases.delete(candidate);
            if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          }
        }
        if (name === undefined) throw Object.assign(new Error('no free spool name'), { code: 'EEXIST' });
        leased = name;
        await unlink(tmp);
        tmpExists = false;
        await syncDir();
        const fh2 = await open(path.join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW);
        let mtimeMs: number;
        try {
          mtimeMs = (await fh2.stat()).mtimeMs;
        } finally {
          await fh2.close();
        }
        const entry = { name, bytes: bytes.length, mtimeMs };
        account(entry);
        if (!opts.lease) leases.delete(name);
        leased = undefined;
        return { ok: true, entry };
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (tmpExists) await unlink(tmp).catch(() => {});
        if (leased !== undefined) {
          // The record is linked but its directory entry may not be durable: keep it,
          // it is complete, and account for it; only the durability promise failed.
          account({ name: leased, bytes: bytes.length, mtimeMs: Date.now() });
          leases.delete(leased);
        }
        return { ok: false, reason: 'io', code: e.code ?? 'EIO', detail: e.message };
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
      generation++;
      const scanGen = generation;
      const scan = await scanSpoolDir(dir);
      await reconcile(scan.entries, scanGen);
      const records: SpoolEntry[] = [];
      const suspects: ListResult['suspects'] = [];
      for (const e of scan.entries) {
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
      await (queued ?? inFlight)?.catch(() => {});
    },
  };
}
