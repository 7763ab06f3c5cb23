// Files the spool will not deliver are moved to <spool_dir>/.quarantine/
// instead of being deleted (C deleted them silently, BUG-48) or retried
// forever (one corrupt file must not wedge delivery, Vector #17644):
// unparsable files, files owned by another uid, non-regular entries
// (symlinks are renamed as links, never followed) and records the server
// refused permanently (4xx other than 408/429). Each gets a side file
// `<name>.reason.json` saying why (and the server's answer). The folder is
// bounded: past QUARANTINE_MAX_FILES or QUARANTINE_MAX_BYTES the oldest are
// deleted, with a log line each.
import { lstat, mkdir, readdir, rename, rm } from '@telemetrics/libtelemetry/internal/fs-async';
import path from 'node:path';
import type { Logger } from '@telemetrics/libtelemetry/log';
import type { Metrics } from '../metrics.ts';
import type { SpoolStore } from './store.ts';
import { writeFileDurably } from '../write-durably.ts';

export const QUARANTINE_DIR = '.quarantine';
export const QUARANTINE_MAX_FILES = 200;
export const QUARANTINE_MAX_BYTES = 4 * 1024 * 1024;
const REASON_SUFFIX = '.reason.json';

export type QuarantineReason = 'format' | 'foreign' | 'not-regular' | 'permanent';

export interface QuarantineNote {
  readonly reason: QuarantineReason;
  readonly detail: string;
  /** HTTP status of a permanent refusal. */
  readonly status?: number | undefined;
}

export type MoveResult = 'moved' | 'gone' | 'failed';

export interface Quarantine {
  readonly dir: string;
  /** Move `<spool>/<name>` into quarantine; 'failed' was logged, 'gone' means someone removed it first. */
  move(name: string, note: QuarantineNote): Promise<MoveResult>;
}

export interface QuarantineOptions {
  readonly spoolDir: string;
  readonly logger: Logger;
  readonly maxFiles?: number;
  readonly maxBytes?: number;
  readonly wallNow?: () => number;
}

export function createQuarantine(options: QuarantineOptions): Quarantine {
  const qdir = path.join(options.spoolDir, QUARANTINE_DIR);
  const maxFiles = options.maxFiles ?? QUARANTINE_MAX_FILES;
  const maxBytes = options.maxBytes ?? QUARANTINE_MAX_BYTES;
  const wallNow = options.wallNow ?? Date.now;
  const { logger } = options;

  async function trim(): Promise<void> {
    const names = (await readdir(qdir)).filter((n) => !n.endsWith(REASON_SUFFIX));
    const items: Array<{ name: string; bytes: number; mtimeMs: number }> = [];
    for (const name of names) {
      try {
        const st = await lstat(path.join(qdir, name));
        items.push({ name, bytes: st.isFile() ? st.size : 0, mtimeMs: st.mtimeMs });
      } catch {
        // gone
      }
    }
    // Quarantine time is in the name (<ms>-<name>), so sort by it; mtime is the record's.
    items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    let total = items.reduce((s, i) => s + i.bytes, 0);
    let count = items.length;
    for (const item of items) {
      if (count <= maxFiles && total <= maxBytes) break;
      await rm(path.join(qdir, item.name), { recursive: true, force: true });
      await rm(path.join(qdir, item.name + REASON_SUFFIX), { force: true });
      count--;
      total -= item.bytes;
      logger.log('warning', 'quarantine full, deleted its oldest entry', {
        path: path.join(qdir, item.name),
        max_files: maxFiles,
        max_bytes: maxBytes,
      });
    }
  }

  return {
    dir: qdir,
    async move(name, note) {
      const from = path.join(options.spoolDir, name);
      const at = wallNow();
      // Zero-padded time first: names sort by quarantine time; the original name stays visible.
      const target = `${String(at).padStart(14, '0')}-${name}`;
      try {
        await mkdir(qdir, { recursive: true, mode: 0o700 });
        await rename(from, path.join(qdir, target));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return 'gone';
        logger.log('err', 'cannot move spool entry to quarantine', { path: from, code, reason: note.reason });
        return 'failed';
      }
      const side = { version: 1, name, at: new Date(at).toISOString(), ...note };
      // Written durably so a reader (telemctl, an admin, a test) never sees a half-written note.
      await writeFileDurably(
        path.join(qdir, target + REASON_SUFFIX),
        `${JSON.stringify(side)}\n`,
        0o600,
      ).catch((err: Error) =>
        logger.log('warning', 'cannot write quarantine note', { path: qdir, detail: err.message }),
      );
      logger.log('warning', 'spool entry quarantined', {
        path: path.join(qdir, target),
        reason: note.reason,
        status: note.status,
        detail: note.detail,
      });
      await trim().catch((err: Error) =>
        logger.log('err', 'cannot trim quarantine', { path: qdir, detail: err.message }),
      );
      return 'moved';
    },
  };
}

/**
 * Move a spool entry to quarantine and account for it: the store forgets it,
 * `quarantined` is counted, a permanent refusal becomes the last delivery
 * error. One path for the drainer and the pipeline.
 */
export async function quarantineEntry(
  deps: { readonly store: SpoolStore; readonly quarantine: Quarantine; readonly metrics: Metrics },
  name: string,
  note: QuarantineNote,
): Promise<MoveResult> {
  if (note.reason === 'permanent') deps.metrics.deliveryError({ status: note.status, message: note.detail });
  const result = await deps.quarantine.move(name, note);
  if (result !== 'failed') deps.store.forget(name);
  if (result === 'moved') deps.metrics.inc('quarantined', { name, reason: note.reason, status: note.status });
  return result;
}
