import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type LineTable, lookupLine, parseLineProgram } from './line.ts';

describe('line lookup (libdw dwarf_getsrc_die)', () => {
  const t: LineTable = {
    files: ['???', '/src/a.c', '../csu/libc-start.c'],
    rows: [
      { addr: 0x100, file: 1, line: 3, endSequence: false, order: 0 },
      { addr: 0x108, file: 1, line: 4, endSequence: false, order: 1 },
      { addr: 0x108, file: 2, line: 9, endSequence: false, order: 2 },
      { addr: 0x110, file: 1, line: 5, endSequence: true, order: 3 },
    ],
  };
  it('the last row at or below the address wins', () => {
    assert.deepEqual(lookupLine(t, 0x104), { file: '/src/a.c', line: 3 });
    assert.deepEqual(lookupLine(t, 0x10f), { file: '../csu/libc-start.c', line: 9 });
  });
  it('no line past the end of a sequence or before the first row', () => {
    assert.equal(lookupLine(t, 0x110), undefined);
    assert.equal(lookupLine(t, 0x50), undefined);
  });

  it('DWARF 4: directory 0 is DW_AT_comp_dir, relative include directories stay relative', () => {
    const enc = new TextEncoder();
    const header = [
      1, // min_inst_length
      1, // max_ops
      1, // default_is_stmt
      0xfb, // line_base -5
      14, // line_range
      13, // opcode_base
      0,
      1,
      1,
      1,
      1,
      0,
      0,
      0,
      1,
      0,
      0,
      1,
      ...enc.encode('../csu\0'),
      0,
      ...enc.encode('a.c\0'),
      0,
      0,
      0,
      ...enc.encode('libc-start.c\0'),
      1,
      0,
      0,
      0,
    ];
    const program = [0, 9, 2, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 1, 4, 2, 0x21, 0, 1, 1];
    const body = [4, 0, ...le32(header.length), ...header, ...program];
    const bytes = Uint8Array.from([...le32(body.length), ...body]);
    const r = parseLineProgram(bytes, 0, '/usr/src/demo', {});
    assert.ok(r.ok, r.ok ? '' : r.detail);
    assert.deepEqual(r.value.files, ['???', '/usr/src/demo/a.c', '../csu/libc-start.c']);
    assert.deepEqual(lookupLine(r.value, 0x1000), { file: '/usr/src/demo/a.c', line: 1 });
    assert.deepEqual(lookupLine(r.value, 0x1002), { file: '../csu/libc-start.c', line: 2 });
  });

  it('a truncated program is a typed error', () => {
    assert.equal(parseLineProgram(Uint8Array.of(0x40, 0, 0, 0, 4, 0), 0, undefined, {}).ok, false);
  });
});

function le32(n: number): number[] {
  return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
}
