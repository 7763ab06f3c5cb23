// Retained payloads (spec c-client.md 10.2): `record_retention_dir/<record_id>`
// for the records still in the journal; the journal's prune callback removes
// them, so at most ~150 exist.
//
// What we write: the record payload exactly as the probe sent it (what the
// daemon accepted). C wrote its staging body + "\n", i.e. payload + "\n\n"
// (BUG-18: `hello\n` became `hello\n\n\n`, see test/vectors/journal/records/).
// The viewer prints a retained file verbatim and adds one LF when it does not
// end with one, so files written by C (always ending "\n\n") print exactly as
// C printed them and ours print the payload followed by the next entry line.
//
// Never overwrite (BUG-33): the file is written under a temp name, fsynced
// and hard-linked to its final name; link() fails when the name exists, so an
// existing record's file is never replaced.

import { constants } from 'node:fs';
import * as fsa from '../fs-async.ts';
import path from 'node:path';
import { ErrorCodes, TelemetryError } from '../errors.ts';
import { isJournalId } from '../wire/journal-entry.ts';

export interface Retention {
  /** Stores `payload` for `recordId`; TELEM_RETENTION_EXISTS if that record already has a file. */
  save(recordId: string, payload: Uint8Array): Promise<void>;
  /** Removes the file of `recordId`; a missing file is fine (idempotent). */
  remove(recordId: string): Promise<void>;
  /**
   * Removes retained files whose record is not in `keep` and temp files left
   * by a crash (a crash between a prune and its callbacks leaves orphans).
   * Other names are left alone. Returns the number removed.
   */
  sweep(keep: ReadonlySet<string>): Promise<number>;
}

function checkId(recordId: string): void {
  // Record ids come from journal lines, which are files: never let one name a path.
  if (!isJournalId(recordId)) throw new TypeError(`not a record id: ${JSON.stringify(recordId)}`);
}

export function createRetention(options: { readonly dir: string }): Retention {
  const dir = options.dir;
  return {
    async save(recordId, payload) {
      checkId(recordId);
      await fsa.mkdir(dir, { recursive: true, mode: 0o750 });
      const final = path.join(dir, recordId);
      const tmp = path.join(dir, `.${recordId}.tmp`);
      await fsa.writeSynced(
        tmp,
        constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
        0o644,
        payload,
      );
      try {
        await fsa.link(tmp, final);
      } catch (err) {
        await fsa.rm(tmp, { force: true });
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new TelemetryError(
            ErrorCodes.TELEM_RETENTION_EXISTS,
            `retained payload ${final} exists; not overwriting another record's file`,
            { cause: err },
          );
        }
        throw err;
      }
      await fsa.rm(tmp, { force: true });
    },
    async remove(recordId) {
      checkId(recordId);
      await fsa.rm(path.join(dir, recordId), { force: true });
    },
    async sweep(keep) {
      let names: string[];
      try {
        names = await fsa.readdir(dir);
      } catch {
        return 0;
      }
      let removed = 0;
      for (const name of names) {
        const tmp = /^\.([0-9a-f]{32})\.tmp$/.exec(name);
        if ((isJournalId(name) && !keep.has(name)) || tmp) {
          await fsa.rm(path.join(dir, name), { force: true });
          removed++;
        }
      }
      return removed;
    },
  };
}

/**
 * The retained payload of `recordId`, or null when there is none (never kept,
 * pruned, not a regular file, or the id is not a record id). Symlinks are not
 * followed.
 */
export async function readRetainedPayload(dir: string, recordId: string): Promise<Buffer | null> {
  if (!isJournalId(recordId)) return null;
  let fd: number;
  try {
    fd = await fsa.open(path.join(dir, recordId), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    if (!(await fsa.fstat(fd)).isFile()) return null;
    return await fsa.readFile(fd);
  } catch {
    return null;
  } finally {
    await fsa.close(fd);
  }
}
