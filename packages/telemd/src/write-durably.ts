// Replace a small file so that a crash leaves either the old or the new
// content, never a torn or empty one: temp name beside it, fsync, rename,
// fsync the directory. Readers never see a partial file.
import { randomBytes as kernelRandomBytes } from '@telemetrics/libtelemetry';
import { close, fsync, open, rename, rm, writeAll } from '@telemetrics/libtelemetry/fs-async';
import path from 'node:path';

/** Write `content` to `file` so that a crash leaves either the old or the new file. */
export async function writeFileDurably(file: string, content: string, mode = 0o644): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(
    dir,
    `.${path.basename(file)}.${process.pid}.${kernelRandomBytes(4).toString('hex')}.tmp`,
  );
  const fd = await open(tmp, 'wx', mode);
  try {
    await writeAll(fd, Buffer.from(content, 'utf8'));
    await fsync(fd);
  } finally {
    await close(fd);
  }
  try {
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  const dirFd = await open(dir, 'r');
  try {
    await fsync(dirFd);
  } finally {
    await close(dirFd);
  }
}
