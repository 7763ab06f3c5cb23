// ELF notes (gABI "Note Section") and the core notes the kernel writes
// (linux/elfcore.h, fs/binfmt_elf.c): NT_PRSTATUS per thread, NT_PRPSINFO,
// NT_SIGINFO, NT_AUXV, NT_FILE; and the GNU build-id note of modules.
import { Cursor, latin1 } from '../dwarf/cursor.ts';
import { type CoreResult, CoreErrorCodes, guard } from '../errors.ts';

export const NT_PRSTATUS = 1;
export const NT_PRPSINFO = 3;
export const NT_AUXV = 6;
export const NT_GNU_BUILD_ID = 3;
export const NT_SIGINFO = 0x53494749;
export const NT_FILE = 0x46494c45;

export interface Note {
  readonly name: string;
  readonly type: number;
  readonly desc: Uint8Array;
}

/** Notes of one PT_NOTE segment or SHT_NOTE section (4-byte alignment, as Linux writes them). */
export function parseNotes(bytes: Uint8Array): CoreResult<Note[]> {
  return guard(CoreErrorCodes.CRASH_ELF_NOTES, 'notes', () => {
    const out: Note[] = [];
    const c = new Cursor(bytes);
    while (c.remaining >= 12) {
      const namesz = c.u32();
      const descsz = c.u32();
      const type = c.u32();
      const nameBytes = c.take(namesz);
      c.seek(Math.min(c.end, align4(c.pos)));
      const desc = c.take(descsz);
      c.seek(Math.min(c.end, align4(c.pos)));
      let nameEnd = nameBytes.indexOf(0);
      if (nameEnd < 0) nameEnd = nameBytes.length;
      out.push({ name: latin1(nameBytes, 0, nameEnd), type, desc });
    }
    return out;
  });
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** x86_64 `struct user_regs_struct` order (arch/x86/include/asm/user_64.h). */
export const X86_64_USER_REGS = [
  'r15',
  'r14',
  'r13',
  'r12',
  'rbp',
  'rbx',
  'r11',
  'r10',
  'r9',
  'r8',
  'rax',
  'rcx',
  'rdx',
  'rsi',
  'rdi',
  'orig_rax',
  'rip',
  'cs',
  'eflags',
  'rsp',
  'ss',
  'fs_base',
  'gs_base',
  'ds',
  'es',
  'fs',
  'gs',
] as const;
export type X86Reg = (typeof X86_64_USER_REGS)[number];

export interface PrStatus {
  readonly signal: number;
  readonly tid: number;
  readonly regs: Readonly<Record<X86Reg, bigint>>;
}

// struct elf_prstatus: siginfo(12) cursig(2)+pad(2) sigpend(8) sighold(8) pid ppid pgrp sid (4 each)
// 4 timevals (64) then pr_reg at 112.
const PRSTATUS_PID_OFFSET = 32;
const PRSTATUS_REG_OFFSET = 112;

export function parsePrStatus(desc: Uint8Array): CoreResult<PrStatus> {
  return guard(CoreErrorCodes.CRASH_ELF_NOTES, 'NT_PRSTATUS', () => {
    const c = new Cursor(desc);
    c.seek(12);
    const signal = c.u16();
    c.seek(PRSTATUS_PID_OFFSET);
    const tid = c.u32();
    c.seek(PRSTATUS_REG_OFFSET);
    const regs = {} as Record<X86Reg, bigint>;
    for (const name of X86_64_USER_REGS) regs[name] = c.u64();
    return { signal, tid, regs };
  });
}

export interface PrPsInfo {
  readonly pid: number;
  readonly fname: string;
}

export function parsePrPsInfo(desc: Uint8Array): CoreResult<PrPsInfo> {
  return guard(CoreErrorCodes.CRASH_ELF_NOTES, 'NT_PRPSINFO', () => {
    // state sname zomb nice (4) pad (4) flag (8) uid gid (4+4) pid at 24; fname[16] at 40
    const c = new Cursor(desc);
    c.seek(24);
    const pid = c.u32();
    c.seek(40);
    const raw = c.take(16);
    let end = raw.indexOf(0);
    if (end < 0) end = 16;
    return { pid, fname: latin1(raw, 0, end) };
  });
}

export interface SigInfo {
  readonly signo: number;
  readonly code: number;
  readonly addr: number;
}

export function parseSigInfo(desc: Uint8Array): CoreResult<SigInfo> {
  return guard(CoreErrorCodes.CRASH_ELF_NOTES, 'NT_SIGINFO', () => {
    const c = new Cursor(desc);
    const signo = c.i32();
    c.i32();
    const code = c.i32();
    c.u32();
    const addr = c.u64n();
    return { signo, code, addr };
  });
}

export function parseAuxv(desc: Uint8Array): CoreResult<Map<number, number>> {
  return guard(CoreErrorCodes.CRASH_ELF_NOTES, 'NT_AUXV', () => {
    const out = new Map<number, number>();
    const c = new Cursor(desc);
    while (c.remaining >= 16) {
      const key = c.u64n();
      const value = c.u64n();
      if (key === 0) break;
      out.set(key, value);
    }
    return out;
  });
}

export interface FileMapping {
  readonly start: number;
  readonly end: number;
  /** Offset in the file, in bytes (the note stores pages). */
  readonly fileOffset: number;
  readonly path: string;
}

export function parseFileNote(desc: Uint8Array): CoreResult<FileMapping[]> {
  return guard(CoreErrorCodes.CRASH_ELF_NOTES, 'NT_FILE', () => {
    const c = new Cursor(desc);
    const count = c.u64n();
    const pageSize = c.u64n();
    // Each entry needs 24 bytes plus a name byte: reject absurd counts before allocating.
    if (count * 25 > c.remaining) throw new RangeError(`NT_FILE count ${count} exceeds note size`);
    const ranges: Array<[number, number, number]> = [];
    for (let i = 0; i < count; i++) ranges.push([c.u64n(), c.u64n(), c.u64n()]);
    const out: FileMapping[] = [];
    for (const [start, end, pgoff] of ranges) {
      out.push({ start, end, fileOffset: pgoff * pageSize, path: c.cstr() });
    }
    return out;
  });
}

/** The GNU build id (hex) among notes, if any. */
export function findBuildId(notes: readonly Note[]): string | undefined {
  for (const n of notes) {
    if (n.name === 'GNU' && n.type === NT_GNU_BUILD_ID && n.desc.length > 0 && n.desc.length <= 64) {
      return toHex(n.desc);
    }
  }
  return undefined;
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
