import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lookupSymbol, parseSymbols, type SymbolTable } from './symbols.ts';

const LOCAL = 0;
const GLOBAL = 1;
const WEAK = 2;

function table(firstGlobal: number, syms: Array<[string, number, number, number]>): SymbolTable {
  return {
    firstGlobal,
    symbols: [
      { name: '', value: 0, size: 0, bind: 0 },
      ...syms.map(([name, value, size, bind]) => ({ name, value, size, bind })),
    ],
  };
}

describe('symbol choice (libdwfl dwfl_module_addrsym)', () => {
  it('picks the sized symbol containing the address, preferring global over weak over local', () => {
    const t = table(2, [
      ['__libc_start_main_impl', 0x100, 0x50, LOCAL],
      ['__libc_start_main@GLIBC_2.2.5', 0x100, 0x50, WEAK],
      ['__libc_start_main@@GLIBC_2.34', 0x100, 0x50, GLOBAL],
    ]);
    assert.equal(lookupSymbol(t, 0x120)?.name, '__libc_start_main@@GLIBC_2.34');
    assert.equal(lookupSymbol(t, 0x150), undefined);
  });

  it('locals are searched only when no global contains the address', () => {
    const t = table(2, [
      ['__libc_start_call_main', 0x200, 0x40, LOCAL],
      ['exit', 0x300, 0x10, GLOBAL],
    ]);
    assert.equal(lookupSymbol(t, 0x210)?.name, '__libc_start_call_main');
  });

  it('a sizeless label is used only when no sized symbol ends above it', () => {
    const t = table(1, [
      ['_start', 0x400, 0, GLOBAL],
      ['f', 0x380, 0x100, GLOBAL],
    ]);
    assert.equal(lookupSymbol(t, 0x410)?.name, 'f');
    const u = table(1, [['_start', 0x400, 0, GLOBAL]]);
    assert.equal(lookupSymbol(u, 0x410)?.name, '_start');
  });

  it('parses Elf64_Sym entries; undefined, section and file symbols are unusable', () => {
    const strings = new TextEncoder().encode('\0main\0sec\0');
    const bytes = new Uint8Array(24 * 3);
    const v = new DataView(bytes.buffer);
    v.setUint32(24, 1, true);
    bytes[28] = (GLOBAL << 4) | 2;
    v.setUint16(30, 14, true);
    v.setBigUint64(32, 0x1139n, true);
    v.setBigUint64(40, 0x20n, true);
    v.setUint32(48, 6, true);
    bytes[52] = 3; // STT_SECTION
    v.setUint16(54, 14, true);
    const r = parseSymbols(bytes, strings, 1);
    assert.ok(r.ok);
    assert.deepEqual(
      r.value.symbols.map((s) => s.name),
      ['', 'main', ''],
    );
    assert.equal(lookupSymbol(r.value, 0x1140)?.name, 'main');
  });
});
