// The OTLP target's own spool: records the collector has acknowledged but the
// OTLP receiver has not yet, kept durably (spool file format, fsync, rename)
// in `<spool_dir>/.otlp/` until the receiver takes them (outbox-drain.ts). So
// a down receiver holds back neither the collector nor the main spool, and a
// record is never only in memory. The dot name keeps the main spool's scan
// and telemd.path out of it. Names sort oldest first.
import { mkdir, readdir, readFile, unlink } from '@telemetrics/libtelemetry/internal/fs-async';
import type { Logger } from '@telemetrics/libtelemetry/log';
import { decodeSpoolFile, encodeSpoolFile } from '@telemetrics/libtelemetry/wire';
import path from 'node:path';
import type { TelemRecord } from '../../record.ts';
import { writeFileDurably } from '../../write-durably.ts';

export const OUTBOX_DIR = '.otlp';

export interface OtlpOutbox {
  readonly dir: string;
  put(record: TelemRecord): Promise<void>;
  /** Names of the kept records, oldest first. */
  list(): Promise<string[]>;
  /** The record, or undefined when it is gone or unreadable (an unreadable one is removed, logged). */
  read(name: string): Promise<TelemRecord | undefined>;
  remove(name: string): Promise<void>;
}

export function createOutbox(spoolDir: string, logger: Logger): OtlpOutbox {
  const dir = path.join(spoolDir, OUTBOX_DIR);
  let made: Promise<void> | undefined;
  let seq = 0;
  return {
    dir,
    async put(record) {
      made ??= mkdir(dir, { recursive: true, mode: 0o750 });
      await made;
      const name = `${String(Date.now()).padStart(15, '0')}-${String(seq++).padStart(6, '0')}-${record.headers.event_id}`;
      // Its temp name starts with '.', so list() never takes a half-written entry.
      await writeFileDurably(path.join(dir, name), encodeSpoolFile(record), 0o640);
    },
    async list() {
      try {
        return (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
      } catch {
        return [];
      }
    },
    async read(name) {
      let bytes: Buffer;
      try {
        bytes = await readFile(path.join(dir, name));
      } catch {
        return undefined;
      }
      const decoded = decodeSpoolFile(bytes);
      if (decoded.ok) return decoded.value;
      logger.log('err', 'OTLP outbox file unreadable; removed', { file: name, detail: decoded.detail });
      await unlink(path.join(dir, name)).catch(() => {});
      return undefined;
    },
    async remove(name) {
      await unlink(path.join(dir, name)).catch(() => {});
    },
  };
}
