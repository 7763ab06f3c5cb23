// Reading one spool file back: never through a symlink, never blocking on a FIFO, never past
// the record cap, only a regular file of ours. Synchronous on purpose: a spool file is small
// (at most MAX_SPOOL_FILE_BYTES, ~50 KiB; typically under 1 KiB) and local, and four blocking
// syscalls cost ~10 us of CPU where the promise API paid ~110 us in thread-pool hand-offs
// (open, fstat, fstat, read, close). The drain reads one file per delivery, so that hand-off
// was its largest single cost.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { decodeSpoolFile, MAX_SPOOL_FILE_BYTES } from '@telemetrics/libtelemetry/wire';
import type { TelemRecord } from '../record.ts';

export type ReadResult =
  | { readonly ok: true; readonly record: TelemRecord; readonly bytes: number }
  | {
      readonly ok: false;
      readonly kind: 'gone' | 'format' | 'foreign' | 'not-regular' | 'io';
      readonly detail: string;
    };

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

/** The record in `dir/name`, or why it is not one telemd may deliver. */
export function readSpoolFile(dir: string, name: string, uid: number): ReadResult {
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
    const r = decoded.value;
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
}
