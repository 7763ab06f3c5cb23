// telemd's side of the crash directory (crash_dir): crash reports Node
// programs wrote there because telemd could not be reached, one frame per
// file (libtelemetry crash-reporter/crash-dir.ts). They go through the same
// door as a frame read from the socket (`admit`: validation, enrichment, the
// durable pipeline) and the file is removed only once admitted. Drained when
// telemd starts (telemd.path starts it when the directory is not empty) and
// whenever the directory changes while it runs.
//
// Any user may write into the directory, so a file is opened without
// following symlinks and must be a small regular file; one that is not a
// valid frame, or that telemd rejects, is renamed `.bad-<name>` (hidden: the
// path unit and the next pass ignore it) for an operator to look at.
import { constants, type FSWatcher, watch } from 'node:fs';
import { join } from 'node:path';
import { isCrashFileName } from '@telemetrics/libtelemetry/internal/crash-dir';
import {
  close,
  fstat,
  open,
  readdir,
  readFile,
  rename,
  unlink,
} from '@telemetrics/libtelemetry/internal/fs-async';
import type { Logger } from '@telemetrics/libtelemetry/log';
import { type DecodedFrame, decodeFrame, MAX_FRAME_BYTES } from '@telemetrics/libtelemetry/wire';

export interface CrashDirDrainOptions {
  readonly dir: string;
  /**
   * Hand one frame to the daemon, as a socket frame: undefined once it is kept, else the refusal
   * a probe would be told (TELEM_INVALID_FRAME for a record telemd will never take).
   */
  readonly admit: (frame: DecodedFrame, bytes: number) => Promise<{ readonly code: string } | undefined>;
  readonly logger: Logger;
}

export interface CrashDirDrain {
  /** Settles when the start-up pass is done. */
  readonly started: Promise<void>;
  /** Run a pass now (or after the running one); resolves to the reports admitted. */
  pass(): Promise<number>;
  close(): Promise<void>;
}

type FileFate = 'admitted' | 'bad' | 'gone' | 'later';

async function readSmallRegularFile(path: string): Promise<Buffer | 'not-regular' | 'gone'> {
  let fd: number;
  try {
    fd = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'gone' : 'not-regular';
  }
  try {
    const stat = await fstat(fd);
    if (!stat.isFile() || stat.size > MAX_FRAME_BYTES) return 'not-regular';
    return await readFile(fd);
  } finally {
    await close(fd);
  }
}

export function startCrashDirDrain(options: CrashDirDrainOptions): CrashDirDrain {
  const { dir, admit, logger } = options;
  let running: Promise<number> | undefined;
  let again = false;
  let closed = false;

  async function setAside(name: string, reason: string): Promise<FileFate> {
    logger.log('warning', 'crash report set aside', { file: join(dir, name), reason });
    await rename(join(dir, name), join(dir, `.bad-${name}`)).catch(() => {});
    return 'bad';
  }

  async function drainFile(name: string): Promise<FileFate> {
    const path = join(dir, name);
    const bytes = await readSmallRegularFile(path);
    if (bytes === 'gone') return 'gone';
    if (bytes === 'not-regular')
      return setAside(name, `not a regular file of at most ${MAX_FRAME_BYTES} bytes`);
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) return setAside(name, `${decoded.code}: ${decoded.detail}`);
    const refusal = await admit(decoded.value, bytes.length);
    if (refusal?.code === 'TELEM_INVALID_FRAME') return setAside(name, 'telemd rejected the record');
    if (refusal) {
      // Spool full, disk full, rate-limited: the report waits here for a later pass.
      logger.log('notice', 'crash report kept in the crash directory for now', {
        file: path,
        reason: refusal.code,
      });
      return 'later';
    }
    await unlink(path).catch(() => {});
    return 'admitted';
  }

  async function onePass(): Promise<number> {
    let names: string[];
    try {
      names = (await readdir(dir)).filter(isCrashFileName).sort();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      logger.log(code === 'ENOENT' ? 'debug' : 'warning', 'crash directory not read', { dir, error: code });
      return 0;
    }
    let admitted = 0;
    for (const name of names) {
      if (closed) break;
      if ((await drainFile(name)) === 'admitted') admitted++;
    }
    if (admitted > 0) logger.log('info', 'crash reports taken from the crash directory', { dir, admitted });
    return admitted;
  }

  function pass(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      do {
        again = false;
        total += await onePass();
      } while (again && !closed);
      return total;
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  let watcher: FSWatcher | undefined;
  try {
    // Reports written while telemd runs (a send that timed out) are taken at once.
    watcher = watch(dir, { persistent: false }, (_event, name) => {
      if (!closed && name !== null && isCrashFileName(name)) void pass();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    // No directory yet: the start-up pass logs it; the next start looks again.
  }
  const started = pass().then(() => {});

  return {
    started,
    pass,
    async close() {
      closed = true;
      watcher?.close();
      await running;
    },
  };
}
