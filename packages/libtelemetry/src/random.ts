// Random bytes from the kernel: event ids, machine ids, spool and temp-file names.
//
// Why not node:crypto's randomBytes: loading node:crypto costs a short-lived tool ~5 ms and
// 1.5 MiB (38 internal modules, OpenSSL's start), a tenth of hprobe's run, for 16 bytes that
// the kernel's CSPRNG hands over in one read(). Falls back to node:crypto where /dev/urandom
// cannot be read (a chroot without /dev, a seccomp filter).
// node:fs through getBuiltinModule, not an ES import: see config/load.ts.
const { closeSync, openSync, readSync } = process.getBuiltinModule('node:fs');

/** `size` bytes from /dev/urandom (node:crypto's randomBytes if it cannot be read). */
export function randomBytes(size: number): Buffer<ArrayBuffer> {
  const bytes = Buffer.allocUnsafe(size);
  let fd: number | undefined;
  try {
    fd = openSync('/dev/urandom', 'r');
    let filled = 0;
    while (filled < size) {
      const n = readSync(fd, bytes, filled, size - filled, null);
      if (n <= 0) throw new Error('short read from /dev/urandom');
      filled += n;
    }
    return bytes;
  } catch {
    return process.getBuiltinModule('node:crypto').randomBytes(size);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
