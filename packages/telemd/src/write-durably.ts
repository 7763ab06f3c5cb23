// Replace a small file so that a crash leaves either the old or the new
// content, never a torn or empty one: temp name beside it, fsync, rename,
// fsync the directory. Readers never see a partial file.
import { randomBytes as kernelRandomBytes } from '@telemetrics/libtelemetry';
import fs from 'node:fs/promises';
import path from 'node:path';

/** Write `content` to `file` so that a crash leaves either the old or the new file. */
export async function writeFileDurably(file: string, content: string, mode = 0o644): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(
    dir,
    `.${path.basename(file)}.${process.pid}.${kernelRandomBytes(4).toString('hex')}.tmp`,
  );
  const handle = await fs.open(tmp, 'wx', mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
  const dirHandle = await fs.open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
