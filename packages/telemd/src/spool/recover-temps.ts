// Temp files left by an interrupted write (telemd killed between write and
// rename) hold records a probe sent: C probes are never told anything, so a
// complete temp is the only copy. At start each temp of another process is
// read; a complete, valid record owned by us is fsynced and renamed to a
// fresh record name (then one directory fsync), anything else is removed as
// before (it was never acknowledged: put() answers only after the rename).
// Temps of this process (a reload's second pipeline writing) are left alone.
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
} from 'node:fs';
import path from 'node:path';
import { fsyncDir } from '@telemetrics/libtelemetry/internal/fs-async';
import { decodeSpoolFile, MAX_SPOOL_FILE_BYTES } from '@telemetrics/libtelemetry/wire';
import { type ScannedEntry, tempName } from './scan.ts';

export interface TempRecovery {
  /** Renamed to record names, as scan entries (the caller adds them to its scan). */
  readonly recovered: ScannedEntry[];
  readonly removed: number;
}

/** The temp's bytes when it is a regular file of ours small enough to be a record; else undefined. */
function readCandidate(file: string, uid: number): { fd: number; bytes: Buffer } | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  const st = fstatSync(fd);
  if (!st.isFile() || st.uid !== uid || st.size > MAX_SPOOL_FILE_BYTES || st.size === 0) {
    closeSync(fd);
    return undefined;
  }
  const bytes = Buffer.allocUnsafe(st.size);
  let got = 0;
  while (got < st.size) {
    const n = readSync(fd, bytes, got, st.size - got, got);
    if (n === 0) break;
    got += n;
  }
  return { fd, bytes: bytes.subarray(0, got) };
}

/**
 * Synchronous: at start, before intake is served; a crash leaves a few temps at most (one per
 * record in the writer's hands). `freshName` draws a record name not in use.
 */
export async function recoverTemps(
  dir: string,
  temps: readonly string[],
  options: { readonly ownPid: number; readonly uid: number; readonly freshName: () => string },
): Promise<TempRecovery> {
  const recovered: ScannedEntry[] = [];
  let removed = 0;
  for (const name of temps) {
    if (name.startsWith(tempName(options.ownPid, ''))) continue;
    const file = path.join(dir, name);
    const candidate = readCandidate(file, options.uid);
    if (candidate) {
      try {
        if (decodeSpoolFile(candidate.bytes).ok) {
          fsyncSync(candidate.fd);
          const st = fstatSync(candidate.fd);
          const final = options.freshName();
          renameSync(file, path.join(dir, final));
          recovered.push({ name: final, bytes: st.size, mtimeMs: st.mtimeMs, uid: st.uid, type: 'file' });
          continue;
        }
      } catch {
        // fsync or rename failed: removed below like an incomplete one
      } finally {
        closeSync(candidate.fd);
      }
    }
    try {
      unlinkSync(file);
      removed++;
    } catch {
      // already gone, or a directory someone named .tmp-*: leave it
    }
  }
  if (recovered.length > 0) await fsyncDir(dir);
  return { recovered, removed };
}
