// Replace a small file so that a crash leaves either the old or the new
// content, never a torn or empty one: temp name beside it, fsync, rename,
// fsync the directory. Readers never see a partial file. The one recipe for it in telemd
// (machine id, status file, quarantine reasons, OTLP outbox); the spool's record writes
// (spool/record-write.ts) are the same steps batched and grouped for throughput.
import { randomBytes as kernelRandomBytes } from '@telemetrics/libtelemetry';
import { fsyncDir, rename, rm, writeSynced } from '@telemetrics/libtelemetry/internal/fs-async';
import path from 'node:path';

/** Write `content` to `file` so that a crash leaves either the old or the new file. */
export async function writeFileDurably(
  file: string,
  content: string | Uint8Array,
  mode = 0o644,
): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(
    dir,
    `.${path.basename(file)}.${process.pid}.${kernelRandomBytes(4).toString('hex')}.tmp`,
  );
  await writeSynced(tmp, 'wx', mode, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
  try {
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await fsyncDir(dir);
}
