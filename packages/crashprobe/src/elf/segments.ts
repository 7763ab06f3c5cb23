// Program headers (gABI "Program Header") and section headers.
import { Cursor } from '../dwarf/cursor.ts';
import { type CoreResult, CoreErrorCodes, failResult, guard } from '../errors.ts';
import type { ElfHeader } from './header.ts';

export const PT_LOAD = 1;
export const PT_NOTE = 4;
export const PHDR_BYTES = 56;
export const SHDR_BYTES = 64;
export const SHF_COMPRESSED = 0x800;
export const SHT_NOBITS = 8;

export interface ProgramHeader {
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly filesz: number;
  readonly memsz: number;
}

export interface SectionHeader {
  readonly nameOffset: number;
  name: string;
  readonly type: number;
  readonly flags: number;
  readonly addr: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly entsize: number;
}

/** Program headers from the bytes holding them (`bytes` starts at file offset `base`). */
export function parseProgramHeaders(
  header: ElfHeader,
  bytes: Uint8Array,
  base = 0,
): CoreResult<ProgramHeader[]> {
  const section = 'program headers';
  if (header.phnum > 0 && header.phentsize < PHDR_BYTES) {
    return failResult(CoreErrorCodes.CRASH_ELF_SEGMENTS, section, `phentsize ${header.phentsize}`);
  }
  return guard(CoreErrorCodes.CRASH_ELF_SEGMENTS, section, () => {
    const out: ProgramHeader[] = [];
    for (let i = 0; i < header.phnum; i++) {
      const c = new Cursor(bytes);
      c.seek(header.phoff - base + i * header.phentsize);
      const type = c.u32();
      const flags = c.u32();
      const offset = c.u64n();
      const vaddr = c.u64n();
      c.u64();
      const filesz = c.u64n();
      const memsz = c.u64n();
      out.push({ type, flags, offset, vaddr, filesz, memsz });
    }
    return out;
  });
}

export function parseSectionHeaders(
  header: ElfHeader,
  bytes: Uint8Array,
  base = 0,
): CoreResult<SectionHeader[]> {
  const section = 'section headers';
  if (header.shnum > 0 && header.shentsize < SHDR_BYTES) {
    return failResult(CoreErrorCodes.CRASH_ELF_SECTIONS, section, `shentsize ${header.shentsize}`);
  }
  return guard(CoreErrorCodes.CRASH_ELF_SECTIONS, section, () => {
    const out: SectionHeader[] = [];
    for (let i = 0; i < header.shnum; i++) {
      const c = new Cursor(bytes);
      c.seek(header.shoff - base + i * header.shentsize);
      const nameOffset = c.u32();
      const type = c.u32();
      const flags = c.u64n();
      const addr = c.u64n();
      const offset = c.u64n();
      const size = c.u64n();
      const link = c.u32();
      const info = c.u32();
      c.u64();
      const entsize = c.u64n();
      out.push({ nameOffset, name: '', type, flags, addr, offset, size, link, info, entsize });
    }
    return out;
  });
}
