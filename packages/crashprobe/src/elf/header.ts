// ELF64 little-endian file header (System V gABI, "ELF Header"). Only ELFCLASS64
// + ELFDATA2LSB are accepted: x86_64 first; aarch64 cores share this layout.
import { Cursor } from '../dwarf/cursor.ts';
import { type CoreResult, CoreErrorCodes, failResult, guard } from '../errors.ts';

export const ET_CORE = 4;
export const EM_X86_64 = 62;
export const ELF_HEADER_BYTES = 64;

export interface ElfHeader {
  readonly type: number;
  readonly machine: number;
  readonly entry: number;
  readonly phoff: number;
  readonly shoff: number;
  readonly phentsize: number;
  readonly phnum: number;
  readonly shentsize: number;
  readonly shnum: number;
  readonly shstrndx: number;
}

export function parseElfHeader(bytes: Uint8Array): CoreResult<ElfHeader> {
  const section = 'ELF header';
  if (bytes.length < ELF_HEADER_BYTES) {
    return failResult(CoreErrorCodes.CRASH_ELF_HEADER, section, `only ${bytes.length} bytes`);
  }
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    return failResult(CoreErrorCodes.CRASH_ELF_HEADER, section, 'no ELF magic');
  }
  if (bytes[4] !== 2) return failResult(CoreErrorCodes.CRASH_ELF_HEADER, section, 'not ELFCLASS64');
  if (bytes[5] !== 1) return failResult(CoreErrorCodes.CRASH_ELF_HEADER, section, 'not little-endian');
  return guard(CoreErrorCodes.CRASH_ELF_HEADER, section, () => {
    const c = new Cursor(bytes, 16, ELF_HEADER_BYTES);
    const type = c.u16();
    const machine = c.u16();
    c.u32();
    const entry = c.u64n();
    const phoff = c.u64n();
    const shoff = c.u64n();
    c.u32();
    c.u16();
    const phentsize = c.u16();
    const phnum = c.u16();
    const shentsize = c.u16();
    const shnum = c.u16();
    const shstrndx = c.u16();
    return { type, machine, entry, phoff, shoff, phentsize, phnum, shentsize, shnum, shstrndx };
  });
}
