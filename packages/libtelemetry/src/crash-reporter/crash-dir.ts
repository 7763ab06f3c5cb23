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
const { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } =
  process.getBuiltinModule('node:fs');

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
 * fsync'd too when this user may open it (the shipped crash_dir is 1733, not
 * readable by others: the rename is then as durable as the file system makes
 * it). Returns the final path; throws the fs error.
 */
export function writeCrashFileSync(dir: string, eventId: string, frame: Uint8Array): string {
  const path = join(dir, crashFileName(eventId));
  const temp = join(dir, `.${eventId}.${process.pid}.tmp`);
  // 0644: telemd (user telemetry) reads files other users write; the directory is not listable.
  const fd = openSync(temp, 'wx', 0o644);
  try {
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
