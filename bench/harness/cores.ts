// Cores for the crashprobe cases: the gunzipped vector cores, and a >= 1 GiB core made with gcore
// from a C program that touches 1.1 GiB of heap, rewritten into the kernel's layout (notes before
// the memory) because that is what a core_pattern pipe carries. Generated once per bench run.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { compileC } from './compile-c.ts';
import { REPO_ROOT } from './telemd.ts';

const VECTOR_CORES = path.join(REPO_ROOT, 'test/vectors/crash/cores');

/** name (crashme-g) -> path of the gunzipped core. */
export function vectorCores(workDir: string): Map<string, string> {
  const cores = new Map<string, string>();
  if (!existsSync(VECTOR_CORES)) return cores;
  for (const file of readdirSync(VECTOR_CORES)) {
    if (!file.endsWith('.core.gz')) continue;
    const name = file.slice(0, -'.core.gz'.length);
    const out = path.join(workDir, `${name}.core`);
    if (!existsSync(out)) writeFileSync(out, gunzipSync(readFileSync(path.join(VECTOR_CORES, file))));
    cores.set(name, out);
  }
  return cores;
}

export interface BigCore {
  readonly path: string;
  readonly bytes: number;
  /** Process name and executable path, for crashprobe's -p and -E. */
  readonly name: string;
  readonly exe: string;
}

let bigCorePromise: Promise<BigCore | string> | null = null;

/** The big core, or why it cannot be produced here. */
export function bigCore(workDir: string): Promise<BigCore | string> {
  bigCorePromise ??= makeBigCore(workDir);
  return bigCorePromise;
}

async function makeBigCore(workDir: string): Promise<BigCore | string> {
  const built = compileC('big-core', workDir);
  if ('error' in built) return built.error;
  const { exe } = built;
  const child = spawn(exe, ['1100'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    child.stdout.setEncoding('utf8');
    const [line] = (await Promise.race([once(child.stdout, 'data'), once(child, 'exit')])) as [unknown];
    if (typeof line !== 'string' || !line.startsWith('ready')) return 'big-core program did not start';
    const prefix = path.join(workDir, 'big');
    try {
      execFileSync('gcore', ['-o', prefix, String(child.pid)], { stdio: 'pipe', timeout: 120_000 });
    } catch (err) {
      return `gcore failed (ptrace not permitted?): ${(err as Error).message.split('\n')[0]}`;
    }
    const corePath = `${prefix}.${child.pid}`;
    if (!existsSync(corePath)) return `gcore wrote no ${corePath}`;
    const kernelPath = `${prefix}.kernel-layout.core`;
    const relaid = toKernelLayout(corePath, kernelPath);
    rmSync(corePath, { force: true });
    if (relaid !== null) return relaid;
    const bytes = statSync(kernelPath).size;
    if (bytes < 2 ** 30) return `gcore wrote only ${bytes} bytes`;
    return { path: kernelPath, bytes, name: 'big-core', exe };
  } finally {
    child.kill('SIGKILL');
  }
}

const PT_LOAD = 1;
const PT_NOTE = 4;
const PAGE = 4096;

/**
 * Copies an ELF64 little-endian core into the layout the kernel writes (ehdr, phdrs, PT_NOTE,
 * then the PT_LOAD data in the same order, page-aligned). gdb's gcore puts the notes after the
 * memory; a pipe reader cannot seek back to them, so crashprobe rightly refuses that layout on a
 * pipe (CRASH_ELF_NOTES), and a kernel core never has it. Section headers are dropped (the
 * kernel writes none). null on success, else why not.
 */
function toKernelLayout(from: string, to: string): string | null {
  const src = openSync(from, 'r');
  const dst = openSync(to, 'w');
  try {
    const ehdr = Buffer.alloc(64);
    readSync(src, ehdr, 0, 64, 0);
    if (ehdr.readUInt32BE(0) !== 0x7f454c46 || ehdr[4] !== 2 || ehdr[5] !== 1) return 'core is not ELF64 LE';
    const phoff = Number(ehdr.readBigUInt64LE(0x20));
    const phentsize = ehdr.readUInt16LE(0x36);
    const phnum = ehdr.readUInt16LE(0x38);
    const phdrs = Buffer.alloc(phentsize * phnum);
    readSync(src, phdrs, 0, phdrs.length, phoff);
    const segments = Array.from({ length: phnum }, (_, i) => ({
      at: i * phentsize,
      type: phdrs.readUInt32LE(i * phentsize),
      offset: Number(phdrs.readBigUInt64LE(i * phentsize + 8)),
      size: Number(phdrs.readBigUInt64LE(i * phentsize + 32)),
    }));
    const notes = segments.filter((p) => p.type === PT_NOTE);
    const loads = segments.filter((p) => p.type === PT_LOAD);
    let next = 64 + phdrs.length;
    const moves: { from: number; to: number; size: number }[] = [];
    for (const p of notes) {
      moves.push({ from: p.offset, to: next, size: p.size });
      phdrs.writeBigUInt64LE(BigInt(next), p.at + 8);
      next += p.size;
    }
    next = Math.ceil(next / PAGE) * PAGE;
    for (const p of loads) {
      moves.push({ from: p.offset, to: next, size: p.size });
      phdrs.writeBigUInt64LE(BigInt(next), p.at + 8);
      next += p.size;
    }
    ehdr.writeBigUInt64LE(64n, 0x20); // e_phoff
    ehdr.writeBigUInt64LE(0n, 0x28); // e_shoff
    ehdr.writeUInt16LE(0, 0x3c); // e_shnum
    ehdr.writeUInt16LE(0, 0x3e); // e_shstrndx
    writeSync(dst, ehdr, 0, 64, 0);
    writeSync(dst, phdrs, 0, phdrs.length, 64);
    const buf = Buffer.alloc(16 << 20);
    for (const m of moves) {
      for (let done = 0; done < m.size; ) {
        const n = readSync(src, buf, 0, Math.min(buf.length, m.size - done), m.from + done);
        if (n === 0) return `core ends inside a segment at ${m.from + done}`;
        writeSync(dst, buf, 0, n, m.to + done);
        done += n;
      }
    }
    return null;
  } finally {
    closeSync(src);
    closeSync(dst);
  }
}
