// .symtab / .dynsym (gABI "Symbol Table") and the address -> name choice of
// libdwfl's dwfl_module_addrsym (elfutils 0.188), so names match C's payloads.
//
// Names are printed exactly as stored in the string table. glibc's full
// .symtab (from libc6-dbg) stores versioned names such as
// `__libc_start_main@@GLIBC_2.34` literally; libdwfl does not decorate .dynsym
// names with .gnu.version data (the `nolibcdbg` vector prints a plain
// `__libc_start_main()`), so neither do we.
import { Cursor, strAt } from '../dwarf/cursor.ts';
import { type CoreResult, CoreErrorCodes, guard } from '../errors.ts';

const STT_SECTION = 3;
const STT_FILE = 4;
const STT_TLS = 6;
const SHN_UNDEF = 0;
const SYM_BYTES = 24;
/** A symbol table larger than this is treated as hostile. */
export const MAX_SYMBOLS = 2_000_000;

export interface ElfSymbol {
  readonly name: string;
  readonly value: number;
  readonly size: number;
  readonly bind: number;
}

export interface SymbolTable {
  readonly symbols: readonly ElfSymbol[];
  /** Index of the first non-local symbol (sh_info); locals come first. */
  readonly firstGlobal: number;
}

export function parseSymbols(
  table: Uint8Array,
  strings: Uint8Array,
  firstGlobal: number,
  maxSymbols = MAX_SYMBOLS,
): CoreResult<SymbolTable> {
  return guard(CoreErrorCodes.CRASH_ELF_SYMBOLS, 'symbol table', () => {
    const count = Math.floor(table.length / SYM_BYTES);
    if (count > maxSymbols) throw new RangeError(`${count} symbols`);
    const symbols: ElfSymbol[] = [];
    const c = new Cursor(table);
    for (let i = 0; i < count; i++) {
      const nameOff = c.u32();
      const info = c.u8();
      c.u8();
      const shndx = c.u16();
      const value = c.u64n();
      const size = c.u64n();
      const type = info & 0xf;
      const usable =
        i !== 0 && shndx !== SHN_UNDEF && type !== STT_SECTION && type !== STT_FILE && type !== STT_TLS;
      const name = usable ? (strAt(strings, nameOff) ?? '') : '';
      symbols.push({ name, value, size, bind: info >> 4 });
    }
    return { symbols, firstGlobal: Math.min(Math.max(firstGlobal, 0), count) };
  });
}

function bindingValue(bind: number): number {
  switch (bind) {
    case 1: // STB_GLOBAL
      return 3;
    case 10: // STB_GNU_UNIQUE
      return 2;
    case 2: // STB_WEAK
      return 1;
    default:
      return 0;
  }
}

interface SearchState {
  addr: number;
  closest: ElfSymbol | undefined;
  sizeless: ElfSymbol | undefined;
  minLabel: number;
}

function searchTable(st: SearchState, symbols: readonly ElfSymbol[], start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const sym = symbols[i];
    if (sym === undefined || sym.name === '' || sym.value > st.addr) continue;
    if (sym.value + sym.size > st.minLabel) st.minLabel = sym.value + sym.size;
    if (sym.size !== 0 && st.addr - sym.value >= sym.size) continue;
    const c = st.closest;
    if (c === undefined || c.value < sym.value || bindingValue(c.bind) < bindingValue(sym.bind)) {
      if (sym.size !== 0) {
        st.closest = sym;
      } else {
        const s = st.sizeless;
        if (s === undefined || s.value < sym.value || bindingValue(s.bind) < bindingValue(sym.bind))
          st.sizeless = sym;
      }
    } else if (
      sym.size !== 0 &&
      c.value === sym.value &&
      ((c.size > sym.size && bindingValue(c.bind) <= bindingValue(sym.bind)) ||
        (c.size >= sym.size && bindingValue(c.bind) < bindingValue(sym.bind)))
    ) {
      st.closest = sym;
    }
  }
}

/** The symbol libdwfl would name `addr` (a link-time address) with, or undefined. */
export function lookupSymbol(table: SymbolTable, addr: number): ElfSymbol | undefined {
  const st: SearchState = { addr, closest: undefined, sizeless: undefined, minLabel: 0 };
  const n = table.symbols.length;
  const fg = table.firstGlobal;
  searchTable(st, table.symbols, fg === 0 ? 1 : fg, n);
  if (st.closest === undefined && fg > 1 && (st.sizeless === undefined || st.sizeless.value !== addr)) {
    searchTable(st, table.symbols, 1, fg);
  }
  if (st.closest !== undefined) return st.closest;
  if (st.sizeless !== undefined && st.sizeless.value >= st.minLabel) return st.sizeless;
  return undefined;
}
