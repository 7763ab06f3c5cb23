// Call frame information: CIE/FDE records of .eh_frame (LSB "Exception Frames",
// with the .eh_frame_hdr binary search table) and .debug_frame (DWARF 5 §6.4).
// Addresses are link-time addresses of the module (callers subtract the bias).
import { type CoreResult, CoreErrorCodes, guard } from '../errors.ts';
import { Cursor } from './cursor.ts';

export const DW_EH_PE_omit = 0xff;

export interface Cie {
  readonly codeAlign: number;
  readonly dataAlign: number;
  readonly raColumn: number;
  readonly fdeEncoding: number;
  readonly lsdaEncoding: number;
  readonly signalFrame: boolean;
  readonly hasAugmentationData: boolean;
  readonly initialInstructions: Uint8Array;
  readonly addressSize: number;
}

export interface Fde {
  readonly cie: Cie;
  readonly start: number;
  readonly end: number;
  readonly instructions: Uint8Array;
}

export interface CfiSection {
  readonly bytes: Uint8Array;
  /** Link-time address of byte 0 of the section (for pc-relative pointers). */
  readonly vaddr: number;
  readonly kind: 'eh_frame' | 'debug_frame';
}

/** Reads a DW_EH_PE-encoded pointer; `sectionVaddr` is the address of the cursor's byte 0. */
export function readEncoded(c: Cursor, encoding: number, sectionVaddr: number, dataRel = 0): number {
  if (encoding === DW_EH_PE_omit) return 0;
  const at = sectionVaddr + c.pos;
  let v: number;
  switch (encoding & 0x0f) {
    case 0x00:
      v = c.u64n();
      break;
    case 0x01:
      v = c.ulebn();
      break;
    case 0x02:
      v = c.u16();
      break;
    case 0x03:
      v = c.u32();
      break;
    case 0x04:
      v = c.u64n();
      break;
    case 0x09:
      v = c.slebn();
      break;
    case 0x0a:
      v = c.i16();
      break;
    case 0x0b:
      v = c.i32();
      break;
    case 0x0c:
      v = Number(c.i64());
      break;
    default:
      throw new RangeError(`pointer encoding 0x${encoding.toString(16)}`);
  }
  switch (encoding & 0x70) {
    case 0x00:
      break;
    case 0x10:
      v += at;
      break;
    case 0x30:
      v += dataRel;
      break;
    default:
      throw new RangeError(`pointer application 0x${encoding.toString(16)}`);
  }
  return v;
}

function encodedSize(encoding: number): number {
  switch (encoding & 0x0f) {
    case 0x02:
    case 0x0a:
      return 2;
    case 0x03:
    case 0x0b:
      return 4;
    default:
      return 8;
  }
}

interface RawEntry {
  /** Offset of the length field. */
  readonly offset: number;
  /** Offset after the length field (start of the CIE id / pointer). */
  readonly idOffset: number;
  readonly end: number;
  readonly id: number;
}

function readEntryHeader(c: Cursor): RawEntry | undefined {
  const offset = c.pos;
  const { length } = c.unitLength();
  if (length === 0) return { offset, idOffset: c.pos, end: c.pos, id: 0 };
  const idOffset = c.pos;
  const end = idOffset + length;
  if (end > c.end) throw new RangeError(`CFI entry at ${offset} runs past the section`);
  const id = c.u32();
  return { offset, idOffset, end, id };
}

export function parseCie(sec: CfiSection, offset: number): CoreResult<Cie> {
  return guard(CoreErrorCodes.CRASH_DWARF_CFI, sec.kind, () => {
    const c = new Cursor(sec.bytes);
    c.seek(offset);
    const e = readEntryHeader(c);
    if (e === undefined || e.end === e.idOffset) throw new RangeError(`no CIE at ${offset}`);
    const isCie = sec.kind === 'eh_frame' ? e.id === 0 : e.id === 0xffffffff;
    if (!isCie) throw new RangeError(`entry at ${offset} is not a CIE`);
    const c2 = new Cursor(sec.bytes, c.pos, e.end);
    const version = c2.u8();
    if (version !== 1 && version !== 3 && version !== 4) throw new RangeError(`CIE version ${version}`);
    const augmentation = c2.cstr();
    let addressSize = 8;
    if (version === 4) {
      addressSize = c2.u8();
      c2.u8();
    }
    const codeAlign = c2.ulebn();
    const dataAlign = c2.slebn();
    const raColumn = version === 1 ? c2.u8() : c2.ulebn();
    let fdeEncoding = 0;
    let lsdaEncoding = DW_EH_PE_omit;
    let signalFrame = false;
    let hasAugmentationData = false;
    if (augmentation.startsWith('z')) {
      hasAugmentationData = true;
      const augLen = c2.ulebn();
      const augEnd = c2.pos + augLen;
      for (const ch of augmentation.slice(1)) {
        if (ch === 'R') fdeEncoding = c2.u8();
        else if (ch === 'L') lsdaEncoding = c2.u8();
        else if (ch === 'P') {
          const enc = c2.u8();
          readEncoded(c2, enc & 0x7f, sec.vaddr);
        } else if (ch === 'S') signalFrame = true;
        else if (ch === 'B' || ch === 'G') {
          // aarch64 BTI / MTE markers carry no data
        } else break;
      }
      c2.seek(augEnd);
    } else if (augmentation !== '' && augmentation !== 'eh') {
      throw new RangeError(`CIE augmentation "${augmentation}"`);
    }
    return {
      codeAlign,
      dataAlign,
      raColumn,
      fdeEncoding,
      lsdaEncoding,
      signalFrame,
      hasAugmentationData,
      initialInstructions: sec.bytes.subarray(c2.pos, e.end),
      addressSize,
    };
  });
}

/** Parses the FDE at `offset` (with its CIE, cached in `cies`). */
export function parseFde(
  sec: CfiSection,
  offset: number,
  cies: Map<number, Cie>,
): CoreResult<Fde | undefined> {
  return guard(CoreErrorCodes.CRASH_DWARF_CFI, sec.kind, () => {
    const c = new Cursor(sec.bytes);
    c.seek(offset);
    const e = readEntryHeader(c);
    if (e === undefined || e.end === e.idOffset) return undefined;
    const isCie = sec.kind === 'eh_frame' ? e.id === 0 : e.id === 0xffffffff;
    if (isCie) return undefined;
    const cieOffset = sec.kind === 'eh_frame' ? e.idOffset - e.id : e.id;
    let cie = cies.get(cieOffset);
    if (cie === undefined) {
      const r = parseCie(sec, cieOffset);
      if (!r.ok) throw new RangeError(r.detail);
      cie = r.value;
      cies.set(cieOffset, cie);
    }
    const c2 = new Cursor(sec.bytes, c.pos, e.end);
    const enc = sec.kind === 'eh_frame' ? cie.fdeEncoding : 0;
    const start = readEncoded(c2, enc, sec.vaddr);
    const range = readEncoded(c2, enc & 0x0f, 0);
    if (cie.hasAugmentationData) {
      const len = c2.ulebn();
      c2.skip(len);
    }
    return { cie, start, end: start + range, instructions: sec.bytes.subarray(c2.pos, e.end) };
  });
}

/** Maximum CFI entries indexed per section (a hostile section cannot make us allocate more). */
export const MAX_CFI_ENTRIES = 500_000;

/** A sorted index of FDE start addresses -> entry offsets, built by scanning the section. */
export interface FdeIndex {
  readonly starts: Float64Array;
  readonly offsets: Float64Array;
}

export function indexSection(sec: CfiSection): CoreResult<FdeIndex> {
  return guard(CoreErrorCodes.CRASH_DWARF_CFI, sec.kind, () => {
    const cies = new Map<number, Cie>();
    const list: Array<[number, number]> = [];
    const c = new Cursor(sec.bytes);
    while (c.remaining >= 4 && list.length < MAX_CFI_ENTRIES) {
      const offset = c.pos;
      const e = readEntryHeader(c);
      if (e === undefined) break;
      if (e.end === e.idOffset) {
        if (sec.kind === 'eh_frame') break; // zero terminator
        continue;
      }
      const fde = parseFde(sec, offset, cies);
      if (fde.ok && fde.value !== undefined) list.push([fde.value.start, offset]);
      c.seek(e.end);
    }
    list.sort((a, b) => a[0] - b[0]);
    return { starts: Float64Array.from(list, (x) => x[0]), offsets: Float64Array.from(list, (x) => x[1]) };
  });
}

/** .eh_frame_hdr (LSB): version 1, eh_frame_ptr, fde_count, sorted (initial_loc, fde) table. */
export interface EhFrameHdr {
  readonly ehFrameVaddr: number;
  readonly count: number;
  readonly tableEncoding: number;
  readonly tableOffset: number;
  readonly bytes: Uint8Array;
  readonly vaddr: number;
}

export function parseEhFrameHdr(bytes: Uint8Array, vaddr: number): CoreResult<EhFrameHdr> {
  return guard(CoreErrorCodes.CRASH_DWARF_CFI, '.eh_frame_hdr', () => {
    const c = new Cursor(bytes);
    const version = c.u8();
    if (version !== 1) throw new RangeError(`version ${version}`);
    const ptrEnc = c.u8();
    const countEnc = c.u8();
    const tableEncoding = c.u8();
    const ehFrameVaddr = readEncoded(c, ptrEnc, vaddr, vaddr);
    const count = countEnc === DW_EH_PE_omit ? 0 : readEncoded(c, countEnc, vaddr, vaddr);
    if (tableEncoding === DW_EH_PE_omit)
      return { ehFrameVaddr, count: 0, tableEncoding, tableOffset: c.pos, bytes, vaddr };
    const entry = 2 * encodedSize(tableEncoding);
    const max = Math.floor(c.remaining / entry);
    return { ehFrameVaddr, count: Math.min(count, max), tableEncoding, tableOffset: c.pos, bytes, vaddr };
  });
}

/** Binary search of the header table: the address of the FDE covering `pc`, if listed. */
export function searchEhFrameHdr(hdr: EhFrameHdr, pc: number): number | undefined {
  if (hdr.count === 0 || (hdr.tableEncoding & 0x0f) === 0x01 || (hdr.tableEncoding & 0x0f) === 0x09)
    return undefined;
  const r = guard(CoreErrorCodes.CRASH_DWARF_CFI, '.eh_frame_hdr', () => {
    const size = encodedSize(hdr.tableEncoding);
    const c = new Cursor(hdr.bytes);
    const at = (i: number): [number, number] => {
      c.seek(hdr.tableOffset + i * 2 * size);
      const loc = readEncoded(c, hdr.tableEncoding, hdr.vaddr, hdr.vaddr);
      const fde = readEncoded(c, hdr.tableEncoding, hdr.vaddr, hdr.vaddr);
      return [loc, fde];
    };
    let lo = 0;
    let hi = hdr.count - 1;
    let found: number | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const [loc, fde] = at(mid);
      if (loc <= pc) {
        found = fde;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  });
  return r.ok ? r.value : undefined;
}

/** Index search: offset of the last FDE starting at or below `pc`. */
export function searchIndex(index: FdeIndex, pc: number): number[] {
  let lo = 0;
  let hi = index.starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((index.starts[mid] ?? 0) <= pc) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  // Overlapping FDEs are rare; try a few candidates below the match.
  const out: number[] = [];
  for (let i = found; i >= 0 && i > found - 4; i--) out.push(index.offsets[i] ?? 0);
  return out;
}
