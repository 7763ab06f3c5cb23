// Just enough of .debug_aranges and .debug_info to find the compilation unit
// of an address and read its DW_AT_stmt_list, DW_AT_comp_dir and DW_AT_name
// (DWARF 4 and 5), as libdw's dwarf_addrdie does.
import { Cursor } from './cursor.ts';
import { readForm } from './form.ts';
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
