// The local crash directory (config key crash_dir): where a crash report
// waits, as the frame it would have been sent as, when telemd cannot be
// reached. telemd drains it when it starts (telemd.path starts telemd when
// the directory is not empty) and while it runs. One file per report,
// `<event id>.frame`; a temp file is dot-named, which systemd's path unit and
// the drain both ignore, and renamed into place only once it is on disk.
//
// Synchronous on purpose: the writer is usually a process inside its
// uncaught-exception handler, which exits as soon as the handler returns.
import { join } from 'node:path';
// node:fs through getBuiltinModule, not an ES import: see config/load.ts.
const { closeSync, fchmodSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } =
  process.getBuiltinModule('node:fs');

/**
 * Readable by its writer and by the directory's group only: reports carry
 * stacks and context. The shipped crash_dir is setgid to group telemetry
 * (tmpfiles mode 3733), so a report inherits that group and telemd (user and
 * group telemetry) reads it; other users cannot, even knowing its name.
 */
export const CRASH_FILE_MODE = 0o640;

export const CRASH_FILE_SUFFIX = '.frame';
const CRASH_FILE = /^[0-9a-f]{32}\.frame$/;

export function crashFileName(eventId: string): string {
  return `${eventId}${CRASH_FILE_SUFFIX}`;
}

/** Names telemd drains; anything else in the directory is not ours, or not finished. */
export function isCrashFileName(name: string): boolean {
  return CRASH_FILE.test(name);
}

/**
 * Write one frame durably: temp file, fsync, rename. The directory is
 * fsync'd too when this user may open it (the shipped crash_dir is 3733, not
 * readable by others: the rename is then as durable as the file system makes
 * it). Returns the final path; throws the fs error.
 */
export function writeCrashFileSync(dir: string, eventId: string, frame: Uint8Array): string {
  const path = join(dir, crashFileName(eventId));
  const temp = join(dir, `.${eventId}.${process.pid}.tmp`);
  // Created 0600, then set to exactly CRASH_FILE_MODE: the umask (077 on
  // hardened systems) must not take telemd's group read away.
  const fd = openSync(temp, 'wx', 0o600);
  try {
    fchmodSync(fd, CRASH_FILE_MODE);
    writeSync(fd, frame);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {}
    throw error;
  }
  closeSync(fd);
  renameSync(temp, path);
  try {
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {}
  return path;
}
