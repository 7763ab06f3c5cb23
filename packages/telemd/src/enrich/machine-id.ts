// The machine_id telemd writes into every record, exactly as C (spec 3.2):
// a static override file (first up to 32 bytes, cut at the first `\n`) wins;
// otherwise a random 32-hex id kept in machine_id_file and regenerated when
// the file is missing or older than 3 days, checked at start and hourly.
// Unlike C the id file is replaced crash-safely (temp, fsync, rename, dir
// fsync) and is never left empty (BUG-14).
import { randomBytes as kernelRandomBytes } from '@telemetrics/libtelemetry';
import * as fs from '@telemetrics/libtelemetry/internal/fs-async';
import path from 'node:path';
import type { Logger } from '@telemetrics/libtelemetry/log';
import { writeFileDurably } from '../write-durably.ts';

/** TM_MACHINE_ID_EXPIRY: 3 days. */
export const MACHINE_ID_EXPIRY_MS = 259_200 * 1000;
/** TM_REFRESH_RATE: rotation is checked hourly. */
export const MACHINE_ID_REFRESH_MS = 3600 * 1000;
/** The override is read with fread(buf, 1, 32). */
export const MACHINE_ID_OVERRIDE_BYTES = 32;

export interface MachineIdOptions {
  readonly staticFile: string;
  readonly idFile: string;
  readonly logger: Logger;
  /** Wall clock in ms (compared with file mtimes). */
  readonly now?: () => number;
  readonly randomBytes?: (size: number) => Buffer;
  /** Set false in tests that drive refresh() themselves. */
  readonly timer?: boolean;
}

export interface MachineIdSource {
  /** The id to put in records; never empty. */
  current(): string;
  /** Whether the static override is in use. */
  readonly isStatic: boolean;
  /** Re-check rotation now (the hourly timer calls this). */
  refresh(): Promise<void>;
  close(): void;
}

const ID_TOKEN = /^[^\s]{1,32}/;

/** Parse the override file's bytes as C does; undefined means "ignore it". */
export function parseOverride(bytes: Buffer): { id?: string; warning?: string } {
  const head = bytes.subarray(0, MACHINE_ID_OVERRIDE_BYTES);
  if (head.length === 0) return {};
  const nl = head.indexOf(0x0a);
  const id = head.subarray(0, nl < 0 ? head.length : nl).toString('latin1');
  // C would use an empty id here (BUG-14/16) and crash the poster later.
  if (id === '') return { warning: 'static machine id file starts with a newline; ignored' };
  if (/[\x00-\x1f\x7f]/.test(id)) return { warning: 'static machine id has control characters; ignored' };
  return { id };
}

async function readOverride(file: string, logger: Logger): Promise<string | undefined> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') logger.log('warning', 'cannot read static machine id file', { path: file, code });
    return undefined;
  }
  const parsed = parseOverride(bytes);
  if (parsed.warning) logger.log('warning', parsed.warning, { path: file, code: 'TELEMD_MACHINE_ID' });
  return parsed.id;
}

export async function createMachineIdSource(options: MachineIdOptions): Promise<MachineIdSource> {
  const { logger, idFile } = options;
  const now = options.now ?? Date.now;
  const random = options.randomBytes ?? kernelRandomBytes;
  const override = await readOverride(options.staticFile, logger);
  let id = override ?? '';

  async function rotate(): Promise<void> {
    let stale = false;
    try {
      const st = await fs.stat(idFile);
      stale = now() - st.mtimeMs > MACHINE_ID_EXPIRY_MS;
      if (!stale) {
        const token = ID_TOKEN.exec((await fs.readFile(idFile)).toString('latin1'));
        // C would report the id "0" for an unreadable or empty file; we regenerate instead.
        if (token && !/[\x00-\x1f\x7f]/.test(token[0])) {
          id = token[0];
          return;
        }
        stale = true;
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') logger.log('warning', 'cannot read machine id file', { path: idFile, code });
      stale = true;
    }
    const fresh = random(16).toString('hex');
    id = fresh;
    try {
      await fs.mkdir(path.dirname(idFile), { recursive: true });
      await writeFileDurably(idFile, fresh);
      logger.log('info', 'machine id rotated', { path: idFile });
    } catch (error) {
      // Keep using the fresh id in memory so records still carry a valid one.
      logger.log('err', 'cannot write machine id file; using an in-memory id', {
        path: idFile,
        code: 'TELEMD_MACHINE_ID',
        errno: (error as NodeJS.ErrnoException).code,
      });
    }
  }

  if (override === undefined) await rotate();
  let timer: NodeJS.Timeout | undefined;
  let refreshing: Promise<void> | undefined;
  const refresh = async (): Promise<void> => {
    if (override !== undefined) return;
    refreshing ??= rotate().finally(() => {
      refreshing = undefined;
    });
    await refreshing;
  };
  if (options.timer !== false && override === undefined) {
    timer = setInterval(() => void refresh(), MACHINE_ID_REFRESH_MS);
    timer.unref();
  }
  return {
    current: () => id,
    isStatic: override !== undefined,
    refresh,
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
