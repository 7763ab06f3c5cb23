// The modules of a crashed process: which file is mapped where (NT_FILE), its
// load bias, the build id the core remembers (from the first page the kernel
// dumped), and, once a file on disk proved to be that build, its symbols, CFI
// and line tables, read lazily. Pure: files come through a ModuleOpener.
import { AT_SYSINFO_EHDR, type CoreImage, type CoreMemory, MAX_VDSO_BYTES } from './elf/core.ts';
import { strAt } from './dwarf/cursor.ts';
import { parseElfHeader } from './elf/header.ts';
import { type ByteSource, ElfImage } from './elf/image.ts';
import { findBuildId, parseNotes } from './elf/notes.ts';
import { PT_LOAD, PT_NOTE, parseProgramHeaders } from './elf/segments.ts';
import { type ElfSymbol, lookupSymbol } from './elf/symbols.ts';
import {
  type CfiSection,
  type Cie,
  type EhFrameHdr,
  type Fde,
  type FdeIndex,
  indexSection,
  parseEhFrameHdr,
  parseFde,
  searchEhFrameHdr,
  searchIndex,
} from './dwarf/cfi.ts';
import {
  type ArangeEntry,
  type CompUnit,
  type DebugSections,
  listUnits,
  parseAranges,
  readCompUnit,
} from './dwarf/info.ts';
import { type LineTable, lookupLine, parseLineProgram, type SourceLine } from './dwarf/line.ts';

const PAGE = 4096;
const AT_ENTRY = 9;

export interface ModuleOpener {
  /** Opens a module by the path recorded in the core (never following symlinks), or undefined. */
  openModule(path: string): ByteSource | undefined;
  /** Separate debug file by build id (`.build-id/xx/rest.debug` under the debug roots). */
  openDebugByBuildId(buildId: string): ByteSource | undefined;
  /** Separate debug file named by `.gnu_debuglink` of the module at `modulePath`. */
  openDebugLink(modulePath: string, link: string): ByteSource | undefined;
}

export interface Module {
  readonly name: string;
  readonly path: string;
  readonly start: number;
  readonly end: number;
  readonly base: number;
  readonly coreBuildId: string | undefined;
  readonly isMain: boolean;
  /** For the vDSO: its image, read from the core's memory (file offsets equal vaddr offsets). */
  readonly memoryImage?: ByteSource | undefined;
}

export function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

/** The build id in the ELF image whose first page the core holds at `base`. */
export function buildIdFromMemory(memory: CoreMemory, base: number): string | undefined {
  const page = memory.read(base, PAGE) ?? memory.read(base, 64);
  if (page === undefined) return undefined;
  const h = parseElfHeader(page);
  if (!h.ok) return undefined;
  const ph = parseProgramHeaders(h.value, page);
  if (!ph.ok) return undefined;
  for (const p of ph.value) {
    if (p.type !== PT_NOTE || p.offset + p.filesz > page.length) continue;
    const notes = parseNotes(page.subarray(p.offset, p.offset + p.filesz));
    if (notes.ok) {
      const id = findBuildId(notes.value);
      if (id !== undefined) return id;
    }
  }
  return undefined;
}

export function isElfInMemory(memory: CoreMemory, base: number): boolean | undefined {
  const m = memory.read(base, 4);
  if (m === undefined) return undefined;
  return m[0] === 0x7f && m[1] === 0x45 && m[2] === 0x4c && m[3] === 0x46;
}

/** Groups NT_FILE mappings by path into module descriptions, in address order. */
export function describeModules(core: CoreImage): Module[] {
  const byPath = new Map<string, { start: number; end: number; base: number | undefined }>();
  for (const f of core.notes.files) {
    const m = byPath.get(f.path) ?? { start: f.start, end: f.end, base: undefined };
    m.start = Math.min(m.start, f.start);
    m.end = Math.max(m.end, f.end);
    if (f.fileOffset === 0 && (m.base === undefined || f.start < m.base)) m.base = f.start;
    byPath.set(f.path, m);
  }
  const entry = core.notes.auxv.get(AT_ENTRY);
  const out: Module[] = [];
  for (const [path, m] of byPath) {
    if (m.base === undefined) continue;
    if (isElfInMemory(core.memory, m.base) === false) continue;
    const isMain = entry !== undefined && entry >= m.start && entry < m.end;
    out.push({
      name: isMain ? path : basename(path),
      path,
      start: m.start,
      end: m.end,
      base: m.base,
      coreBuildId: buildIdFromMemory(core.memory, m.base),
      isMain,
    });
  }
  const vdso = vdsoModule(core);
  if (vdso !== undefined && !out.some((m) => vdso.start < m.end && m.start < vdso.end)) out.push(vdso);
  return out.sort((a, b) => a.start - b.start);
}

/** The vDSO as a module whose bytes come from the core (libdwfl reports it by its soname). */
function vdsoModule(core: CoreImage): Module | undefined {
  const base = core.notes.auxv.get(AT_SYSINFO_EHDR);
  if (base === undefined || isElfInMemory(core.memory, base) !== true) return undefined;
  // Its extent comes from its own program headers (it is linked at 0); the kept
  // memory may run on into the next mapping.
  const page = core.memory.read(base, PAGE);
  if (page === undefined) return undefined;
  const h = parseElfHeader(page);
  const ph = h.ok ? parseProgramHeaders(h.value, page) : undefined;
  if (ph === undefined || !ph.ok) return undefined;
  let size = 0;
  for (const p of ph.value) if (p.type === PT_LOAD) size = Math.max(size, p.vaddr + p.filesz);
  size = Math.ceil(size / PAGE) * PAGE;
  if (size === 0 || size > MAX_VDSO_BYTES || core.memory.read(base, size) === undefined) return undefined;
  const source: ByteSource = {
    size,
    read: (offset, length) => {
      const start = Math.max(0, Math.min(offset, size));
      const len = Math.max(0, Math.min(length, size - start));
      return core.memory.read(base + start, len) ?? new Uint8Array(0);
    },
  };
  const img = ElfImage.open(source);
  const soname = img.ok ? dynamicSoname(img.value) : undefined;
  return {
    name: soname ?? 'linux-vdso.so.1',
    path: '[vdso]',
    start: base,
    end: base + size,
    base,
    coreBuildId: undefined,
    isMain: false,
    memoryImage: source,
  };
}

const DT_SONAME = 14;

function dynamicSoname(img: ElfImage): string | undefined {
  const dyn = img.sectionBytes('.dynamic');
  const str = img.sectionBytes('.dynstr');
  if (dyn === undefined || str === undefined) return undefined;
  const v = new DataView(dyn.buffer, dyn.byteOffset, dyn.byteLength);
  for (let i = 0; i + 16 <= dyn.length; i += 16) {
    const tag = v.getBigUint64(i, true);
    if (tag === 0n) break;
    if (tag === BigInt(DT_SONAME)) {
      const off = v.getBigUint64(i + 8, true);
      return off < BigInt(str.length) ? strAt(str, Number(off)) : undefined;
    }
  }
  return undefined;
}

export interface CfiLookup {
  readonly fde: Fde;
  readonly bias: number;
}

/** A module with its files, loaded on first use. */
export class LoadedModule {
  readonly desc: Module;
  private readonly opener: ModuleOpener;
  private mainImage: ElfImage | null | undefined;
  private debugImage: ElfImage | null | undefined;
  private biasValue = 0;
  private eh:
    | { sec: CfiSection; hdr: EhFrameHdr | undefined; index: FdeIndex | undefined }
    | null
    | undefined;
  private dbgFrame: { sec: CfiSection; index: FdeIndex } | null | undefined;
  private readonly cies = new Map<number, Cie>();
  private readonly dbgCies = new Map<number, Cie>();
  private dwarf: { sections: DebugSections; aranges: ArangeEntry[] | undefined } | null | undefined;
  private readonly lineTables = new Map<number, LineTable | null>();
  /** Why the module's file was not used, for diagnostics. */
  untrustedReason: string | undefined;

  constructor(desc: Module, opener: ModuleOpener) {
    this.desc = desc;
    this.opener = opener;
  }

  get bias(): number {
    this.image();
    return this.biasValue;
  }

  /** The module's own file, only when its build id matches the core's. */
  image(): ElfImage | null {
    if (this.mainImage !== undefined) return this.mainImage;
    this.mainImage = null;
    const src = this.desc.memoryImage ?? this.opener.openModule(this.desc.path);
    if (src === undefined) {
      this.untrustedReason = 'file not found';
      return null;
    }
    const img = ElfImage.open(src);
    if (!img.ok) {
      this.untrustedReason = `${img.section}: ${img.detail}`;
      return null;
    }
    const id = img.value.buildId();
    if (this.desc.coreBuildId !== undefined && id !== this.desc.coreBuildId) {
      this.untrustedReason = `build id ${id ?? 'none'} differs from the core's ${this.desc.coreBuildId}`;
      return null;
    }
    const first = img.value.segments.find((p) => p.type === PT_LOAD);
    const linkBase = first === undefined ? 0 : Math.floor((first.vaddr - first.offset) / PAGE) * PAGE;
    this.biasValue = this.desc.base - linkBase;
    this.mainImage = img.value;
    return this.mainImage;
  }

  /** Separate debug file (by build id, then .gnu_debuglink), with a matching build id. */
  debug(): ElfImage | null {
    if (this.debugImage !== undefined) return this.debugImage;
    this.debugImage = null;
    const main = this.image();
    if (main === null) return null;
    const id = main.buildId();
    const candidates: Array<() => ByteSource | undefined> = [];
    if (id !== undefined) candidates.push(() => this.opener.openDebugByBuildId(id));
    const link = main.debugLink();
    if (link !== undefined && link !== '')
      candidates.push(() => this.opener.openDebugLink(this.desc.path, link));
    for (const open of candidates) {
      const src = open();
      if (src === undefined) continue;
      const img = ElfImage.open(src);
      if (!img.ok) continue;
      if (id !== undefined && img.value.buildId() !== id) continue;
      this.debugImage = img.value;
      break;
    }
    return this.debugImage;
  }

  /** Symbol for a process address: main .symtab, else the debug file's, else .dynsym (libdwfl order). */
  symbol(addr: number): ElfSymbol | undefined {
    const main = this.image();
    if (main === null) return undefined;
    const link = addr - this.biasValue;
    if (main.section('.symtab') !== undefined) {
      const t = main.symbols();
      if (t !== null) return lookupSymbol(t, link);
    }
    const dbg = this.debug();
    if (dbg !== null && dbg.section('.symtab') !== undefined) {
      const t = dbg.symbols();
      if (t !== null) return lookupSymbol(t, link);
    }
    const t = main.symbols(true);
    return t === null ? undefined : lookupSymbol(t, link);
  }

  private ehFrame(): { sec: CfiSection; hdr: EhFrameHdr | undefined; index: FdeIndex | undefined } | null {
    if (this.eh !== undefined) return this.eh;
    this.eh = null;
    const main = this.image();
    if (main === null) return null;
    const s = main.section('.eh_frame');
    const bytes = main.sectionBytes('.eh_frame');
    if (s === undefined || bytes === undefined) return null;
    const sec: CfiSection = { bytes, vaddr: s.addr, kind: 'eh_frame' };
    const hs = main.section('.eh_frame_hdr');
    const hb = main.sectionBytes('.eh_frame_hdr');
    let hdr: EhFrameHdr | undefined;
    if (hs !== undefined && hb !== undefined) {
      const h = parseEhFrameHdr(hb, hs.addr);
      if (h.ok && h.value.ehFrameVaddr === s.addr && h.value.count > 0) hdr = h.value;
    }
    let index: FdeIndex | undefined;
    if (hdr === undefined) {
      const ix = indexSection(sec);
      if (ix.ok) index = ix.value;
    }
    this.eh = { sec, hdr, index };
    return this.eh;
  }

  private debugFrame(): { sec: CfiSection; index: FdeIndex } | null {
    if (this.dbgFrame !== undefined) return this.dbgFrame;
    this.dbgFrame = null;
    const main = this.image();
    if (main === null) return null;
    for (const img of [this.debug(), main]) {
      if (img === null) continue;
      const bytes = img.sectionBytes('.debug_frame');
      if (bytes === undefined) continue;
      const sec: CfiSection = { bytes, vaddr: 0, kind: 'debug_frame' };
      const ix = indexSection(sec);
      if (ix.ok) {
        this.dbgFrame = { sec, index: ix.value };
        break;
      }
    }
    return this.dbgFrame;
  }

  /** The FDE covering process address `pc`: .eh_frame first, then .debug_frame (libdwfl order). */
  fde(pc: number): CfiLookup | undefined {
    const main = this.image();
    if (main === null) return undefined;
    const link = pc - this.biasValue;
    const eh = this.ehFrame();
    if (eh !== null) {
      const offsets: number[] = [];
      if (eh.hdr !== undefined) {
        const at = searchEhFrameHdr(eh.hdr, link);
        if (at !== undefined) offsets.push(at - eh.sec.vaddr);
      } else if (eh.index !== undefined) offsets.push(...searchIndex(eh.index, link));
      for (const off of offsets) {
        const f = parseFde(eh.sec, off, this.cies);
        if (f.ok && f.value !== undefined && link >= f.value.start && link < f.value.end)
          return { fde: f.value, bias: this.biasValue };
      }
    }
    const df = this.debugFrame();
    if (df !== null) {
      for (const off of searchIndex(df.index, link)) {
        const f = parseFde(df.sec, off, this.dbgCies);
        if (f.ok && f.value !== undefined && link >= f.value.start && link < f.value.end)
          return { fde: f.value, bias: this.biasValue };
      }
    }
    return undefined;
  }

  private dwarfData(): { sections: DebugSections; aranges: ArangeEntry[] | undefined } | null {
    if (this.dwarf !== undefined) return this.dwarf;
    this.dwarf = null;
    const main = this.image();
    if (main === null) return null;
    // libdwfl uses the main file's DWARF when it has any, else the debug file's.
    const img = main.section('.debug_info') !== undefined ? main : this.debug();
    if (img === null) return null;
    const sections: DebugSections = {
      info: img.sectionBytes('.debug_info'),
      abbrev: img.sectionBytes('.debug_abbrev'),
      aranges: img.sectionBytes('.debug_aranges'),
      str: img.sectionBytes('.debug_str'),
      lineStr: img.sectionBytes('.debug_line_str'),
      line: img.sectionBytes('.debug_line'),
    };
    if (sections.info === undefined || sections.line === undefined) return null;
    let aranges: ArangeEntry[] | undefined;
    if (sections.aranges !== undefined) {
      const a = parseAranges(sections.aranges);
      if (a.ok) aranges = a.value;
    }
    this.dwarf = { sections, aranges };
    return this.dwarf;
  }

  private lineTable(cuOffset: number, sections: DebugSections, cu?: CompUnit): LineTable | null {
    const cached = this.lineTables.get(cuOffset);
    if (cached !== undefined) return cached;
    let table: LineTable | null = null;
    const unit =
      cu ??
      (() => {
        const r = readCompUnit(sections, cuOffset);
        return r.ok ? r.value : undefined;
      })();
    if (unit !== undefined && unit.stmtList !== undefined && sections.line !== undefined) {
      const t = parseLineProgram(sections.line, unit.stmtList, unit.compDir, sections);
      if (t.ok) table = t.value;
    }
    this.lineTables.set(cuOffset, table);
    return table;
  }

  /** file:line for process address `pc`, as libdwfl's dwfl_module_getsrc. */
  source(pc: number): SourceLine | undefined {
    const d = this.dwarfData();
    if (d === null) return undefined;
    const link = pc - this.biasValue;
    if (d.aranges !== undefined) {
      const hit = d.aranges.find((a) => link >= a.start && link < a.end);
      if (hit === undefined) return undefined;
      const t = this.lineTable(hit.cuOffset, d.sections);
      return t === null ? undefined : lookupLine(t, link);
    }
    // No .debug_aranges: the CU whose pc range holds the address.
    for (const off of listUnits(d.sections.info ?? new Uint8Array(0), 10_000)) {
      const cu = readCompUnit(d.sections, off);
      if (!cu.ok) continue;
      const { lowPc, highPc, highPcIsOffset } = cu.value;
      if (lowPc === undefined || highPc === undefined) continue;
      const hi = highPcIsOffset ? lowPc + highPc : highPc;
      if (link < lowPc || link >= hi) continue;
      const t = this.lineTable(off, d.sections, cu.value);
      return t === null ? undefined : lookupLine(t, link);
    }
    return undefined;
  }
}

export class ModuleMap {
  readonly modules: readonly LoadedModule[];
  constructor(descs: readonly Module[], opener: ModuleOpener) {
    this.modules = descs.map((d) => new LoadedModule(d, opener));
  }
  find(addr: number): LoadedModule | undefined {
    return this.modules.find((m) => addr >= m.desc.start && addr < m.desc.end);
  }
  fde(pc: number): CfiLookup | undefined {
    return this.find(pc)?.fde(pc);
  }
}
