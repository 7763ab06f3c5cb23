// Module and debug files on disk, opened read-only with O_NOFOLLOW (a symlink
// planted at a mapped path is refused, as C opens the core) and read lazily
// through positional reads. Owns the file descriptors; close() is idempotent.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import type { ByteSource } from '../elf/image.ts';
import type { ModuleOpener } from '../modules.ts';

export interface FileOpenerOptions {
  /** Prefix for every path recorded in the core (like a --root); '' or '/' for none. */
  readonly sysroot?: string;
  /** Exact path remappings applied before the sysroot (tests point /usr/bin/x at a vector). */
  readonly pathMap?: ReadonlyMap<string, string>;
  /** Roots holding `.build-id/xx/yyyy.debug` (C: /usr/lib/debug). */
  readonly debugRoots: readonly string[];
}

/** Positional reads of an open regular file of `size` bytes; short at the end, empty on errors. */
export function fdSource(fd: number, size: number): ByteSource {
  return {
    size,
    read: (offset, length) => {
      const start = Math.max(0, Math.min(offset, size));
      const len = Math.max(0, Math.min(length, size - start));
      const buf = new Uint8Array(len);
      let got = 0;
      try {
        while (got < len) {
          const n = readSync(fd, buf, got, len - got, start + got);
          if (n <= 0) break;
          got += n;
        }
      } catch {
        // an I/O error ends the read: the caller sees fewer bytes
      }
      return buf.subarray(0, got);
    },
  };
}

export class FileOpener implements ModuleOpener, Disposable {
  private readonly opts: FileOpenerOptions;
  private readonly fds: number[] = [];
  private closed = false;

  constructor(opts: FileOpenerOptions) {
    this.opts = opts;
  }

  private resolve(p: string): string {
    const mapped = this.opts.pathMap?.get(p);
    if (mapped !== undefined) return mapped;
    const root = this.opts.sysroot ?? '';
    return root === '' || root === '/' ? p : path.join(root, p);
  }

  private open(p: string): ByteSource | undefined {
    if (this.closed) return undefined;
    let fd: number;
    try {
      // O_NONBLOCK: a hostile NT_FILE may name a FIFO, whose open would block forever;
      // anything but a regular file is refused after fstat.
      fd = openSync(p, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
      return undefined;
    }
    this.fds.push(fd);
    let size: number;
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) return undefined;
      size = st.size;
    } catch {
      return undefined;
    }
    return fdSource(fd, size);
  }

  openModule(p: string): ByteSource | undefined {
    if (!p.startsWith('/')) return undefined;
    return this.open(this.resolve(p));
  }

  openDebugByBuildId(buildId: string): ByteSource | undefined {
    if (!/^[0-9a-f]{4,128}$/.test(buildId)) return undefined;
    for (const root of this.opts.debugRoots) {
      const src = this.open(path.join(root, '.build-id', buildId.slice(0, 2), `${buildId.slice(2)}.debug`));
      if (src !== undefined) return src;
    }
    return undefined;
  }

  openDebugLink(modulePath: string, link: string): ByteSource | undefined {
    if (link.includes('/') || link === '.' || link === '..') return undefined;
    const dir = path.dirname(modulePath);
    const candidates = [this.resolve(path.join(dir, link)), this.resolve(path.join(dir, '.debug', link))];
    for (const root of this.opts.debugRoots) candidates.push(path.join(root, dir, link));
    for (const c of candidates) {
      if (c === this.resolve(modulePath)) continue;
      const src = this.open(c);
      if (src !== undefined) return src;
    }
    return undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fd of this.fds.splice(0)) {
      try {
        closeSync(fd);
      } catch {
        // already closed: nothing to release
      }
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
