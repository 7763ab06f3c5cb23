import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { guard, CoreErrorCodes } from '../errors.ts';
import { Cursor, strAt } from './cursor.ts';

describe('Cursor', () => {
  it('reads LEB128 as in DWARF 5 §7.6 examples', () => {
    const u = new Cursor(Uint8Array.of(2, 127, 0x80, 1, 0x81, 1, 0x82, 1, 0xb9, 0x64));
    assert.deepEqual(
      [u.uleb(), u.uleb(), u.uleb(), u.uleb(), u.uleb(), u.uleb()],
      [2n, 127n, 128n, 129n, 130n, 12857n],
    );
    const s = new Cursor(Uint8Array.of(2, 0x7e, 0xff, 0, 0x81, 0x7f, 0x80, 1, 0x80, 0x7f));
    assert.deepEqual(
      [s.sleb(), s.sleb(), s.sleb(), s.sleb(), s.sleb(), s.sleb()],
      [2n, -2n, 127n, -127n, 128n, -128n],
    );
  });

  it('an over-long LEB128 is clamped to 64 bits instead of growing without bound', () => {
    const bytes = new Uint8Array(40).fill(0xff);
    bytes[39] = 0x01;
    assert.equal(new Cursor(bytes).uleb() <= (1n << 64n) - 1n, true);
  });

  it('a read past the end becomes a typed result through guard(), never an exception', () => {
    const r = guard(CoreErrorCodes.CRASH_DWARF_CFI, '.eh_frame', () => new Cursor(Uint8Array.of(1, 2)).u32());
    assert.deepEqual(r.ok ? undefined : [r.code, r.section], ['CRASH_DWARF_CFI', '.eh_frame']);
    const s = guard(CoreErrorCodes.CRASH_ELF_NOTES, 'notes', () =>
      new Cursor(Uint8Array.of(0x41, 0x42)).cstr(),
    );
    assert.equal(s.ok, false);
  });

  it('strAt refuses offsets outside the table and unterminated strings', () => {
    const t = Uint8Array.of(0, 0x61, 0x62, 0, 0x63);
    assert.equal(strAt(t, 1), 'ab');
    assert.equal(strAt(t, 4), undefined);
    assert.equal(strAt(t, 99), undefined);
  });
});
