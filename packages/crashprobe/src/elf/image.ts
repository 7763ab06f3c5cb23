// An ELF file (executable, shared library or separate debug file) read through
// a ByteSource: headers at open, sections on demand. Pure: the source is given.
import { inflateSync } from 'node:zlib';
import { Cursor, strAt } from '../dwarf/cursor.ts';
import { type CoreResult, CoreErrorCodes, guard, okResult } from '../errors.ts';
import { ELF_HEADER_BYTES, type ElfHeader, parseElfHeader } from './header.ts';
import { findBuildId, parseNotes } from './notes.ts';
import {
  PT_LOAD,
  PT_NOTE,
  type ProgramHeader,
  parseProgramHeaders,
  parseSectionHeaders,
  SHF_COMPRESSED,
  SHT_NOBITS,
  type SectionHeader,
} from './segments.ts';
import { parseSymbols, type SymbolTable } from './symbols.ts';

/** Random access to a file's bytes; returns fewer bytes at the end. */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
}

export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: (offset, length) =>
      bytes.subarray(Math.max(0, offset), Math.max(0, Math.min(bytes.length, offset + length))),
  };
}

/** Caps what one section may cost in memory (compressed or not). */
export const MAX_SECTION_BYTES = 64 * 1024 * 1024;

export class ElfImage {
  readonly header: ElfHeader;
  readonly segments: readonly ProgramHeader[];
  readonly sections: readonly SectionHeader[];
  private readonly source: ByteSource;
  private readonly cache = new Map<string, Uint8Array | undefined>();
  private symtabCache: SymbolTable | null | undefined;

  private constructor(
    source: ByteSource,
    header: ElfHeader,
    segments: ProgramHeader[],
    sections: SectionHeader[],
  ) {
    this.source = source;
    this.header = header;
    this.segments = segments;
    this.sections = sections;
  }

  static open(source: ByteSource): CoreResult<ElfImage> {
    const h = parseElfHeader(source.read(0, ELF_HEADER_BYTES));
    if (!h.ok) return h;
    const header = h.value;
    const phBytes = source.read(header.phoff, header.phnum * header.phentsize);
    const ph = parseProgramHeaders(header, phBytes, header.phoff);
    if (!ph.ok) return ph;
    let sections: SectionHeader[] = [];
    if (header.shnum > 0 && header.shoff > 0) {
      const shBytes = source.read(header.shoff, header.shnum * header.shentsize);
      const sh = parseSectionHeaders(header, shBytes, header.shoff);
      if (!sh.ok) return sh;
      sections = sh.value;
      const names = sections[header.shstrndx];
      if (names !== undefined && names.size <= MAX_SECTION_BYTES) {
        const table = source.read(names.offset, names.size);
        for (const s of sections) s.name = strAt(table, s.nameOffset) ?? '';
      }
    }
    return okResult(new ElfImage(source, header, ph.value, sections));
  }

  section(name: string): SectionHeader | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** Contents of a section, decompressed when SHF_COMPRESSED (zlib); undefined if absent or unusable. */
  sectionBytes(name: string): Uint8Array | undefined {
    if (this.cache.has(name)) return this.cache.get(name);
    const s = this.section(name);
    let out: Uint8Array | undefined;
    if (s !== undefined && s.type !== SHT_NOBITS && s.size <= MAX_SECTION_BYTES) {
      const raw = this.source.read(s.offset, s.size);
      if (raw.length === s.size) out = (s.flags & SHF_COMPRESSED) !== 0 ? decompress(raw) : raw;
    }
    this.cache.set(name, out);
    return out;
  }

  buildId(): string | undefined {
    for (const p of this.segments) {
      if (p.type !== PT_NOTE || p.filesz > 1 << 20) continue;
      const notes = parseNotes(this.source.read(p.offset, p.filesz));
      if (notes.ok) {
        const id = findBuildId(notes.value);
        if (id !== undefined) return id;
      }
    }
    const s = this.sectionBytes('.note.gnu.build-id');
    if (s === undefined) return undefined;
    const notes = parseNotes(s);
    return notes.ok ? findBuildId(notes.value) : undefined;
  }

  /** `.gnu_debuglink` file name, if any. */
  debugLink(): string | undefined {
    const s = this.sectionBytes('.gnu_debuglink');
    return s === undefined ? undefined : strAt(s, 0);
  }

  /** Lowest PT_LOAD vaddr minus its offset alignment: the link-time base for bias. */
  firstLoad(): ProgramHeader | undefined {
    return this.segments.find((p) => p.type === PT_LOAD);
  }

  /** .symtab when present, else .dynsym (as libdwfl's find_symtab). null when neither parses. */
  symbols(preferDynsym = false): SymbolTable | null {
    if (this.symtabCache !== undefined && !preferDynsym) return this.symtabCache;
    const names = preferDynsym ? ['.dynsym'] : ['.symtab', '.dynsym'];
    let result: SymbolTable | null = null;
    for (const name of names) {
      const s = this.section(name);
      if (s === undefined || s.type === SHT_NOBITS) continue;
      const strSec = this.sections[s.link];
      const table = this.sectionBytes(name);
      const strings = strSec === undefined ? undefined : this.sectionBytes(strSec.name);
      if (table === undefined || strings === undefined) continue;
      const parsed = parseSymbols(table, strings, s.info);
      if (parsed.ok) {
        result = parsed.value;
        break;
      }
    }
    if (!preferDynsym) this.symtabCache = result;
    return result;
  }
}

function decompress(raw: Uint8Array): Uint8Array | undefined {
  const r = guard(CoreErrorCodes.CRASH_ELF_SECTIONS, 'compressed section', () => {
    const c = new Cursor(raw);
    const type = c.u32();
    c.u32();
    const size = c.u64n();
    c.u64();
    if (type !== 1 || size > MAX_SECTION_BYTES) return undefined; // ELFCOMPRESS_ZLIB only
    try {
      const out = inflateSync(raw.subarray(24), { maxOutputLength: Math.max(size, 1) });
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch {
      return undefined;
    }
  });
  return r.ok ? r.value : undefined;
}
