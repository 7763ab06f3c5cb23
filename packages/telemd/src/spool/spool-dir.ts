// Whether a directory can hold spool files, and the one error line that says why not
// (TELEMD_SPOOL_DIR). Used before the socket listens (preflight.ts) and when the store opens.
// Synchronous on purpose: two calls at start (before the socket listens) and on reload.
import { accessSync, constants, mkdirSync } from 'node:fs';
import { TelemdError, TelemdErrorCodes } from '../errors.ts';

const SPOOL_DIR_REASONS: Readonly<Record<string, string>> = {
  ENOTDIR: 'a parent of it is not a directory',
  EEXIST: 'it exists and is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted (immutable?)',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the path is too long',
};

/** One line for the operator: which path, and why it cannot hold records. */
export function spoolDirError(dir: string, error: NodeJS.ErrnoException): TelemdError {
  const reason = (error.code && SPOOL_DIR_REASONS[error.code]) ?? error.message;
  return new TelemdError(
    TelemdErrorCodes.TELEMD_SPOOL_DIR,
    `spool directory ${dir} is not usable: ${reason}${error.code ? ` (${error.code})` : ''}`,
    { cause: error },
  );
}

/** Records need write and search access; access() also sees a read-only mount and the immutable flag, even for root. */
export function checkSpoolAccess(dir: string): void {
  accessSync(dir, constants.W_OK | constants.X_OK);
}

/** Creates the directory (0750) when missing; throws spoolDirError() unless records can be written there. */
export function ensureSpoolDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    checkSpoolAccess(dir);
  } catch (error) {
    throw spoolDirError(dir, error as NodeJS.ErrnoException);
  }
}
