// What crashprobe keeps of a core: its header, program headers, notes, and the
// memory the unwinder needs. planCore() decides, from the notes, which byte
// ranges of the PT_LOAD segments to keep (each thread's stack near its SP, the
// first page of each file mapping for build ids) under a byte budget; the
// input layer (stream or file) fills them. Pure.
import { type CoreResult, CoreErrorCodes, failResult, okResult } from '../errors.ts';
import { EM_X86_64, ET_CORE, type ElfHeader } from './header.ts';
import {
  type FileMapping,
  NT_AUXV,
  NT_FILE,
  NT_PRPSINFO,
  NT_PRSTATUS,
  NT_SIGINFO,
  type Note,
  type PrStatus,
  parseAuxv,
  parseFileNote,
  parsePrPsInfo,
  parsePrStatus,
  parseSigInfo,
  type SigInfo,
} from './notes.ts';
import { PT_LOAD, type ProgramHeader } from './segments.ts';

export interface CoreLimits {
  /** Bytes kept above each thread's stack pointer. */
  readonly stackBytesPerThread: number;
  /** Bytes kept below it (x86_64 red zone and signal frames in flight). */
  readonly stackBytesBelowSp: number;
  /** Total bytes of segment memory kept. */
  readonly keepBudgetBytes: number;
  readonly maxThreads: number;
}

export const DEFAULT_CORE_LIMITS: CoreLimits = {
  stackBytesPerThread: 1024 * 1024,
  stackBytesBelowSp: 4096,
  keepBudgetBytes: 48 * 1024 * 1024,
  maxThreads: 1024,
};

const PAGE = 4096;
/** auxv: address of the vDSO's ELF header. */
export const AT_SYSINFO_EHDR = 33;
/** Bytes of the vDSO image kept (x86_64's is 2 pages; the segment end bounds it too). */
export const MAX_VDSO_BYTES = 64 * 1024;

export interface CoreNotes {
  readonly threads: readonly PrStatus[];
  readonly pid: number | undefined;
  readonly fname: string | undefined;
  readonly siginfo: SigInfo | undefined;
  readonly auxv: ReadonlyMap<number, number>;
  readonly files: readonly FileMapping[];
  /** Notes that could not be read, as `section: detail` (the rest is still used). */
  readonly problems: readonly string[];
}

export function interpretNotes(notes: readonly Note[], maxThreads: number): CoreNotes {
  const threads: PrStatus[] = [];
  const problems: string[] = [];
  let pid: number | undefined;
  let fname: string | undefined;
  let siginfo: SigInfo | undefined;
  let auxv: ReadonlyMap<number, number> = new Map();
  let files: FileMapping[] = [];
  for (const n of notes) {
    if (n.name !== 'CORE' && n.name !== 'LINUX') continue;
    if (n.name === 'CORE' && n.type === NT_PRSTATUS) {
      if (threads.length >= maxThreads) continue;
      const r = parsePrStatus(n.desc);
      if (r.ok) threads.push(r.value);
      else problems.push(`${r.section}: ${r.detail}`);
    } else if (n.name === 'CORE' && n.type === NT_PRPSINFO) {
      const r = parsePrPsInfo(n.desc);
      if (r.ok) {
        pid = r.value.pid;
        fname = r.value.fname;
      } else problems.push(`${r.section}: ${r.detail}`);
    } else if (n.type === NT_SIGINFO) {
      const r = parseSigInfo(n.desc);
      if (r.ok) siginfo = r.value;
    } else if (n.type === NT_AUXV) {
      const r = parseAuxv(n.desc);
      if (r.ok) auxv = r.value;
    } else if (n.type === NT_FILE) {
      const r = parseFileNote(n.desc);
      if (r.ok) files = r.value;
      else problems.push(`${r.section}: ${r.detail}`);
    }
  }
  return { threads, pid, fname, siginfo, auxv, files, problems };
}

export function checkCoreHeader(h: ElfHeader): CoreResult<ElfHeader> {
  if (h.type !== ET_CORE)
    return failResult(CoreErrorCodes.CRASH_ELF_HEADER, 'ELF header', `e_type ${h.type} is not ET_CORE`);
  if (h.machine !== EM_X86_64) {
    return failResult(
      CoreErrorCodes.CRASH_ELF_HEADER,
      'ELF header',
      `e_machine ${h.machine} is not supported (x86_64 only)`,
    );
  }
  return okResult(h);
}

/** A kept byte range: file offsets [start, end) of the core, mapped at vaddr. */
export interface KeepRange {
  readonly fileStart: number;
  readonly fileEnd: number;
  readonly vaddr: number;
}

export function planCore(
  segments: readonly ProgramHeader[],
  notes: CoreNotes,
  limits: CoreLimits,
): KeepRange[] {
  const loads = segments.filter((p) => p.type === PT_LOAD && p.filesz > 0);
  const wanted: Array<{ start: number; end: number; priority: number }> = [];
  for (const t of notes.threads) {
    const sp = t.regs.rsp;
    if (sp > BigInt(Number.MAX_SAFE_INTEGER)) continue;
    const s = Number(sp);
    wanted.push({
      start: Math.max(0, s - limits.stackBytesBelowSp),
      end: s + limits.stackBytesPerThread,
      priority: 0,
    });
  }
  for (const f of notes.files) {
    if (f.fileOffset === 0) wanted.push({ start: f.start, end: f.start + PAGE, priority: 1 });
  }
  // The vDSO is no file: its whole image (a few pages, with .eh_frame and
  // .dynsym) is in the core, and threads are often stopped inside it.
  const vdso = notes.auxv.get(AT_SYSINFO_EHDR);
  if (vdso !== undefined) wanted.push({ start: vdso, end: vdso + MAX_VDSO_BYTES, priority: 1 });
  const out: KeepRange[] = [];
  let budget = limits.keepBudgetBytes;
  // Stacks first (the crashing thread is first in the notes), then build-id pages.
  wanted.sort((a, b) => a.priority - b.priority);
  for (const w of wanted) {
    for (const p of loads) {
      const segEnd = p.vaddr + p.filesz;
      const start = Math.max(w.start, p.vaddr);
      const end = Math.min(w.end, segEnd);
      if (end <= start) continue;
      const size = Math.min(end - start, budget);
      if (size <= 0) return merge(out);
      budget -= size;
      out.push({
        fileStart: p.offset + (start - p.vaddr),
        fileEnd: p.offset + (start - p.vaddr) + size,
        vaddr: start,
      });
    }
  }
  return merge(out);
}

function merge(ranges: KeepRange[]): KeepRange[] {
  const sorted = ranges.slice().sort((a, b) => a.fileStart - b.fileStart);
  const out: KeepRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (
      last !== undefined &&
      r.fileStart <= last.fileEnd &&
      r.vaddr - r.fileStart === last.vaddr - last.fileStart
    ) {
      if (r.fileEnd > last.fileEnd) out[out.length - 1] = { ...last, fileEnd: r.fileEnd };
    } else out.push(r);
  }
  return out;
}

export interface MemoryChunk {
  readonly vaddr: number;
  readonly bytes: Uint8Array;
}

/** Read-only view of the kept core memory. */
export class CoreMemory {
  private readonly chunks: MemoryChunk[];
  constructor(chunks: readonly MemoryChunk[]) {
    this.chunks = chunks.slice().sort((a, b) => a.vaddr - b.vaddr);
  }

  read(addr: number, size: number): Uint8Array | undefined {
    for (const c of this.chunks) {
      if (addr >= c.vaddr && addr + size <= c.vaddr + c.bytes.length) {
        return c.bytes.subarray(addr - c.vaddr, addr - c.vaddr + size);
      }
    }
    return undefined;
  }

  readU64(addr: bigint): bigint | undefined {
    return this.readN(addr, 8);
  }

  readN(addr: bigint, size: number): bigint | undefined {
    if (addr < 0n || addr > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    const b = this.read(Number(addr), size);
    if (b === undefined) return undefined;
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] ?? 0);
    return v;
  }

  get byteLength(): number {
    return this.chunks.reduce((n, c) => n + c.bytes.length, 0);
  }
}

export interface CoreImage {
  readonly header: ElfHeader;
  readonly segments: readonly ProgramHeader[];
  readonly notes: CoreNotes;
  readonly memory: CoreMemory;
  /** True when the input ended or was cut before every kept range was filled. */
  readonly incomplete: boolean;
}
