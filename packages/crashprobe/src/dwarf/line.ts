// .debug_line programs (DWARF 2-5 §6.2) and the address lookup of libdw's
// dwarf_getsrc_die: rows sorted by address (end_sequence first at equal
// addresses, then program order), the last row at or below the address wins
// unless it ends a sequence. File names are joined as libdw does: an absolute
// name is kept; a relative one is prefixed with its directory entry (for
// DWARF < 5 directory 0 is DW_AT_comp_dir), and relative directories stay
// relative, which is why glibc's frames print `../csu/libc-start.c`.
import { type CoreResult, CoreErrorCodes, guard } from '../errors.ts';
import { Cursor } from './cursor.ts';
import { type FormStrings, readForm } from './form.ts';

export interface LineRow {
  readonly addr: number;
  readonly file: number;
  readonly line: number;
  readonly endSequence: boolean;
  readonly order: number;
}

export interface LineTable {
  readonly files: readonly string[];
  readonly rows: readonly LineRow[];
}

export const MAX_LINE_ROWS = 2_000_000;

export type LineStrings = FormStrings;

export function parseLineProgram(
  bytes: Uint8Array,
  offset: number,
  compDir: string | undefined,
  strings: LineStrings,
): CoreResult<LineTable> {
  return guard(CoreErrorCodes.CRASH_DWARF_LINE, '.debug_line', () => {
    const c = new Cursor(bytes);
    c.seek(offset);
    const { length, offsetSize: offSize } = c.unitLength();
    const end = c.pos + length;
    if (end > bytes.length) throw new RangeError('line program runs past the section');
    const u = new Cursor(bytes, c.pos, end);
    const version = u.u16();
    if (version < 2 || version > 5) throw new RangeError(`line table version ${version}`);
    if (version >= 5) {
      u.u8();
      u.u8();
    }
    const headerLength = u.offset(offSize);
    const programStart = u.pos + headerLength;
    const minInst = u.u8();
    if (version >= 4) u.u8();
    u.u8(); // default_is_stmt: libdw keeps every row
    const lineBase = u.i8();
    const lineRange = u.u8();
    const opcodeBase = u.u8();
    const stdLengths: number[] = [];
    for (let i = 1; i < opcodeBase; i++) stdLengths.push(u.u8());
    if (lineRange === 0) throw new RangeError('line_range 0');

    const dirs: Array<string | undefined> = [];
    const files: string[] = [];
    const join = (dir: string | undefined, name: string): string =>
      name.startsWith('/') || dir === undefined ? name : `${dir}/${name}`;
    if (version >= 5) {
      const readEntries = (): Array<Map<number, number | string>> => {
        const fmtCount = u.u8();
        const fmt: Array<[number, number]> = [];
        for (let i = 0; i < fmtCount; i++) fmt.push([u.ulebn(), u.ulebn()]);
        const count = u.ulebn();
        if (count > u.remaining) throw new RangeError('entry count exceeds header');
        const out: Array<Map<number, number | string>> = [];
        for (let i = 0; i < count; i++) {
          const m = new Map<number, number | string>();
          for (const [type, form] of fmt) {
            const v = readForm(u, form, offSize, 8, strings);
            if (v !== undefined) m.set(type, v);
          }
          out.push(m);
        }
        return out;
      };
      for (const d of readEntries()) {
        const p = d.get(1);
        dirs.push(typeof p === 'string' ? p : undefined);
      }
      for (const f of readEntries()) {
        const p = f.get(1);
        const di = f.get(2);
        const name = typeof p === 'string' ? p : '???';
        files.push(join(typeof di === 'number' ? dirs[di] : dirs[0], name));
      }
    } else {
      dirs.push(compDir);
      for (;;) {
        const d = u.cstr();
        if (d === '') break;
        dirs.push(d);
      }
      files.push('???');
      for (;;) {
        const name = u.cstr();
        if (name === '') break;
        const di = u.ulebn();
        u.ulebn();
        u.ulebn();
        files.push(join(dirs[di], name));
      }
    }

    u.seek(programStart);
    const rows: LineRow[] = [];
    let addr = 0;
    let file = 1;
    let line = 1;
    let order = 0;
    const emit = (endSequence: boolean): void => {
      if (rows.length >= MAX_LINE_ROWS) throw new RangeError('too many line rows');
      rows.push({ addr, file, line, endSequence, order: order++ });
    };
    const reset = (): void => {
      addr = 0;
      file = 1;
      line = 1;
    };
    while (u.remaining > 0) {
      const op = u.u8();
      if (op >= opcodeBase) {
        const adj = op - opcodeBase;
        addr += Math.floor(adj / lineRange) * minInst;
        line += lineBase + (adj % lineRange);
        emit(false);
        continue;
      }
      switch (op) {
        case 0: {
          const len = u.ulebn();
          const next = u.pos + len;
          if (len === 0) break;
          const sub = u.u8();
          if (sub === 1) {
            emit(true);
            reset();
          } else if (sub === 2) {
            addr = len - 1 >= 8 ? u.u64n() : u.u32();
          } else if (sub === 3) {
            const name = u.cstr();
            const di = u.ulebn();
            files.push(join(dirs[di], name));
          }
          u.seek(next);
          break;
        }
        case 1:
          emit(false);
          break;
        case 2:
          addr += u.ulebn() * minInst;
          break;
        case 3:
          line += u.slebn();
          break;
        case 4:
          file = u.ulebn();
          break;
        case 8:
          addr += Math.floor((255 - opcodeBase) / lineRange) * minInst;
          break;
        case 9:
          addr += u.u16();
          break;
        default: {
          const n = stdLengths[op - 1] ?? 0;
          for (let i = 0; i < n; i++) u.uleb();
        }
      }
    }
    const sorted = rows.slice().sort((a, b) => {
      if (a.addr !== b.addr) return a.addr - b.addr;
      if (a.endSequence !== b.endSequence) return a.endSequence ? -1 : 1;
      return a.order - b.order;
    });
    return { files, rows: sorted };
  });
}

export interface SourceLine {
  readonly file: string;
  readonly line: number;
}

export function lookupLine(table: LineTable, addr: number): SourceLine | undefined {
  const rows = table.rows;
  if (rows.length === 0) return undefined;
  let l = 0;
  let u = rows.length - 1;
  while (l < u) {
    const idx = u - ((u - l) >> 1);
    const row = rows[idx];
    if (row !== undefined && addr < row.addr) u = idx - 1;
    else l = idx;
  }
  const row = rows[l];
  if (row === undefined || row.addr > addr || row.endSequence) return undefined;
  const file = table.files[row.file];
  if (file === undefined) return undefined;
  return { file, line: row.line };
}
