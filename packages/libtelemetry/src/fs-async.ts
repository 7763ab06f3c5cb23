// Promise forms of the node:fs calls telemd and the journal await, on node:fs's callback API.
// Not node:fs/promises: that module loads eleven more built-ins (readline, REPL history, file
// watchers) that stay for the daemon's life, ~1.2 MiB of idle RSS (docs/performance.md, Start-up and memory),
// for FileHandle objects we do not need: callers close their descriptors themselves, in `finally`.
import fs, { constants, type Stats, type StatsFs } from 'node:fs';

type Callback<T> = (err: NodeJS.ErrnoException | null, value: T) => void;

function call<T>(start: (done: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((err, value) => (err ? reject(err) : resolve(value)));
  });
}

function callVoid(start: (done: (err: NodeJS.ErrnoException | null) => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    start((err) => (err ? reject(err) : resolve()));
  });
}

/** open(2); the caller closes the descriptor. */
export function open(file: string, flags: string | number, mode?: number): Promise<number> {
  return call<number>((done) => fs.open(file, flags, mode, done));
}

export function close(fd: number): Promise<void> {
  return callVoid((done) => fs.close(fd, done));
}

export function fsync(fd: number): Promise<void> {
  return callVoid((done) => fs.fsync(fd, done));
}

export function fdatasync(fd: number): Promise<void> {
  return callVoid((done) => fs.fdatasync(fd, done));
}

export function ftruncate(fd: number, length: number): Promise<void> {
  return callVoid((done) => fs.ftruncate(fd, length, done));
}

/** A file's bytes, by name or from a descriptor's current position to its end. */
export function readFile(file: string | number): Promise<Buffer> {
  return call<Buffer>((done) => fs.readFile(file, done));
}

/** pread(2): up to `length` bytes at `position` into `buffer`; the count read. */
export function read(
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  return call<number>((done) => fs.read(fd, buffer, offset, length, position, done));
}

export function fstat(fd: number): Promise<Stats> {
  return call<Stats>((done) => fs.fstat(fd, done));
}

/** Writes all of `bytes` at the descriptor's position (short writes are continued). */
export async function writeAll(fd: number, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) {
    off += await call<number>((done) => fs.write(fd, bytes, off, bytes.length - off, null, done));
  }
}

/** Creates or opens `file` with `flags`, writes all of `bytes`, fsyncs and closes it. */
export async function writeSynced(
  file: string,
  flags: string | number,
  mode: number,
  bytes: Uint8Array,
): Promise<void> {
  const fd = await open(file, flags, mode);
  try {
    await writeAll(fd, bytes);
    await fsync(fd);
  } finally {
    await close(fd);
  }
}

/** fsync(2) of a directory: makes the names created, renamed or removed in it durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fd = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fsync(fd);
  } finally {
    await close(fd);
  }
}

export function rename(from: string, to: string): Promise<void> {
  return callVoid((done) => fs.rename(from, to, done));
}

export function unlink(file: string): Promise<void> {
  return callVoid((done) => fs.unlink(file, done));
}

export function mkdir(dir: string, options: { recursive: true; mode?: number }): Promise<void> {
  return callVoid((done) => fs.mkdir(dir, options, (err) => done(err)));
}

export function readdir(dir: string): Promise<string[]> {
  return call<string[]>((done) => fs.readdir(dir, done));
}

export function link(existing: string, target: string): Promise<void> {
  return callVoid((done) => fs.link(existing, target, done));
}

export function stat(file: string): Promise<Stats> {
  return call<Stats>((done) => fs.stat(file, done));
}

export function lstat(file: string): Promise<Stats> {
  return call<Stats>((done) => fs.lstat(file, done));
}

export function rm(file: string, options: { recursive?: boolean; force?: boolean }): Promise<void> {
  return callVoid((done) => fs.rm(file, options, done));
}

export function statfs(dir: string): Promise<StatsFs> {
  return call<StatsFs>((done) => fs.statfs(dir, done));
}
