// Just enough of .debug_aranges and .debug_info to find the compilation unit
// of an address and read its DW_AT_stmt_list, DW_AT_comp_dir and DW_AT_name
// (DWARF 4 and 5), as libdw's dwarf_addrdie does.
import { strAt } from './cursor.ts';
import { Cursor } from './cursor.ts';
import { type CoreResult, CoreErrorCodes, guard } from '../errors.ts';

export interface DebugSections {
  readonly info?: Uint8Array | undefined;
  readonly abbrev?: Uint8Array | undefined;
  readonly aranges?: Uint8Array | undefined;
  readonly str?: Uint8Array | undefined;
  readonly lineStr?: Uint8Array | undefined;
  readonly line?: Uint8Array | undefined;
}

export interface ArangeEntry {
  readonly start: number;
  readonly end: number;
  readonly cuOffset: number;
}

export const MAX_ARANGES = 1_000_000;

export function parseAranges(bytes: Uint8Array): CoreResult<ArangeEntry[]> {
  return guard(CoreErrorCodes.CRASH_DWARF_INFO, '.debug_aranges', () => {
    const out: ArangeEntry[] = [];
    const c = new Cursor(bytes);
    while (c.remaining >= 4 && out.length < MAX_ARANGES) {
      const { length, offsetSize: offSize } = c.unitLength();
      const end = c.pos + length;
      if (end > c.end) break;
      const u = new Cursor(bytes, c.pos, end);
      u.u16();
      const cuOffset = u.offset(offSize);
      const addrSize = u.u8();
      u.u8();
      if (addrSize === 8) {
        // tuples are aligned to twice the address size from the unit start
        const unitStart = c.pos - (offSize === 8 ? 12 : 4);
        const rel = u.pos - unitStart;
        u.seek(u.pos + ((16 - (rel % 16)) % 16));
        while (u.remaining >= 16) {
          const start = u.u64n();
          const size = u.u64n();
          if (start === 0 && size === 0) break;
          out.push({ start, end: start + size, cuOffset });
        }
      }
      c.seek(end);
    }
    return out;
  });
}

export interface CompUnit {
  readonly stmtList: number | undefined;
  readonly compDir: string | undefined;
  readonly name: string | undefined;
  readonly lowPc: number | undefined;
  readonly highPc: number | undefined;
  readonly highPcIsOffset: boolean;
  readonly version: number;
}

const DW_AT_name = 0x03;
const DW_AT_stmt_list = 0x10;
const DW_AT_low_pc = 0x11;
const DW_AT_high_pc = 0x12;
const DW_AT_comp_dir = 0x1b;

/** Reads the first DIE (the CU DIE) of the unit at `offset` in .debug_info. */
export function readCompUnit(sec: DebugSections, offset: number): CoreResult<CompUnit> {
  return guard(CoreErrorCodes.CRASH_DWARF_INFO, '.debug_info', () => {
    const info = sec.info;
    const abbrev = sec.abbrev;
    if (info === undefined || abbrev === undefined) throw new RangeError('no .debug_info');
    const c = new Cursor(info);
    c.seek(offset);
    const { length, offsetSize: offSize } = c.unitLength();
    const end = c.pos + length;
    const u = new Cursor(info, c.pos, Math.min(end, info.length));
    const version = u.u16();
    let abbrevOffset: number;
    let addrSize: number;
    if (version >= 5) {
      const unitType = u.u8();
      addrSize = u.u8();
      abbrevOffset = u.offset(offSize);
      if (unitType === 4 || unitType === 5)
        u.skip(8); // skeleton / split id
      else if (unitType === 2 || unitType === 6) u.skip(8 + offSize);
    } else {
      abbrevOffset = u.offset(offSize);
      addrSize = u.u8();
    }
    const code = u.ulebn();
    // find the abbreviation
    const a = new Cursor(abbrev);
    a.seek(abbrevOffset);
    let attrs: Array<[number, number, bigint]> | undefined;
    for (let guardN = 0; guardN < 100_000; guardN++) {
      const ac = a.ulebn();
      if (ac === 0) break;
      a.ulebn();
      a.u8();
      const list: Array<[number, number, bigint]> = [];
      for (;;) {
        const at = a.ulebn();
        const form = a.ulebn();
        const implicit = form === 0x21 ? a.sleb() : 0n;
        if (at === 0 && form === 0) break;
        list.push([at, form, implicit]);
      }
      if (ac === code) {
        attrs = list;
        break;
      }
    }
    if (attrs === undefined) throw new RangeError(`abbreviation ${code} not found`);
    let stmtList: number | undefined;
    let compDir: string | undefined;
    let name: string | undefined;
    let lowPc: number | undefined;
    let highPc: number | undefined;
    let highPcIsOffset = false;
    for (const [at, form0] of attrs) {
      let form = form0;
      if (form === 0x16) form = u.ulebn();
      const v = readForm(u, form, offSize, addrSize, sec);
      if (at === DW_AT_stmt_list && typeof v === 'number') stmtList = v;
      else if (at === DW_AT_comp_dir && typeof v === 'string') compDir = v;
      else if (at === DW_AT_name && typeof v === 'string') name = v;
      else if (at === DW_AT_low_pc && typeof v === 'number') lowPc = v;
      else if (at === DW_AT_high_pc && typeof v === 'number') {
        highPc = v;
        highPcIsOffset = form !== 0x01;
      }
    }
    return { stmtList, compDir, name, lowPc, highPc, highPcIsOffset, version };
  });
}

function readForm(
  u: Cursor,
  form: number,
  offSize: 4 | 8,
  addrSize: number,
  sec: DebugSections,
): number | string | undefined {
  const off = (): number => u.offset(offSize);
  switch (form) {
    case 0x01:
      return addrSize === 8 ? u.u64n() : u.u32();
    case 0x03:
      u.skip(u.u16());
      return undefined;
    case 0x04:
      u.skip(u.u32());
      return undefined;
    case 0x05:
      return u.u16();
    case 0x06:
      return u.u32();
    case 0x07:
      return u.u64n();
    case 0x08:
      return u.cstr();
    case 0x09:
    case 0x18:
      u.skip(u.ulebn());
      return undefined;
    case 0x0a:
      u.skip(u.u8());
      return undefined;
    case 0x0b:
    case 0x0c:
    case 0x11:
    case 0x25:
    case 0x29:
      return u.u8();
    case 0x0d:
      return u.slebn();
    case 0x0e:
      return strAt(sec.str ?? new Uint8Array(0), off());
    case 0x1f:
      return strAt(sec.lineStr ?? new Uint8Array(0), off());
    case 0x0f:
    case 0x15:
    case 0x1a:
    case 0x1b:
    case 0x22:
    case 0x23:
      return u.ulebn();
    case 0x10:
    case 0x17:
    case 0x1c:
    case 0x1d:
      return off();
    case 0x12:
    case 0x26:
    case 0x2a:
      return u.u16();
    case 0x13:
    case 0x28:
    case 0x2c:
      return u.u32();
    case 0x27:
    case 0x2b:
      u.skip(3);
      return undefined;
    case 0x14:
    case 0x20:
    case 0x24:
      return u.u64n();
    case 0x19:
    case 0x21:
      return undefined;
    case 0x1e:
      u.skip(16);
      return undefined;
    case 0x1f01:
    case 0x1f02:
      return u.ulebn();
    case 0x1f20:
    case 0x1f21:
      return off();
    default:
      throw new RangeError(`unknown DW_FORM 0x${form.toString(16)}`);
  }
}

/** Offsets of every CU in .debug_info, for modules without .debug_aranges. */
export function listUnits(info: Uint8Array, max = 100_000): number[] {
  const out: number[] = [];
  const r = guard(CoreErrorCodes.CRASH_DWARF_INFO, '.debug_info', () => {
    const c = new Cursor(info);
    while (c.remaining >= 11 && out.length < max) {
      const at = c.pos;
      const { length } = c.unitLength();
      if (length === 0) break;
      out.push(at);
      c.seek(c.pos + length);
    }
  });
  void r;
  return out;
}
