import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { x86_64Cie } from './cfi.fixtures.ts';
import { evalExpr, rowAt } from './cfa.ts';
import type { Fde } from './cfi.ts';

// x86_64 PLT CFA expression as GNU ld writes it (`readelf --debug-dump=frames`):
// DW_OP_breg7 (rsp): 8; DW_OP_breg16 (rip): 0; DW_OP_lit15; DW_OP_and; DW_OP_lit11; DW_OP_ge;
// DW_OP_lit3; DW_OP_shl; DW_OP_plus
const PLT_EXPR = Uint8Array.of(0x77, 8, 0x80, 0, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22);

describe('DWARF expressions', () => {
  it('PLT entries: CFA is rsp+8 before the push, rsp+16 after it', () => {
    const ctx = (rip: bigint) => ({
      readReg: (r: number) => (r === 7 ? 0x1000n : r === 16 ? rip : undefined),
      readMem: () => undefined,
    });
    assert.deepEqual(evalExpr(PLT_EXPR, ctx(0x401020n)), { ok: true, value: 0x1008n });
    assert.deepEqual(evalExpr(PLT_EXPR, ctx(0x40102bn)), { ok: true, value: 0x1010n });
  });

  it('signal frames: DW_OP_breg7 160; DW_OP_deref reads the saved context pointer', () => {
    const mem = new Map([[0x2000n + 160n, 0x7777n]]);
    const r = evalExpr(Uint8Array.of(0x77, 0xa0, 0x01, 0x06), {
      readReg: (r) => (r === 7 ? 0x2000n : undefined),
      readMem: (a) => mem.get(a),
    });
    assert.deepEqual(r, { ok: true, value: 0x7777n });
  });

  it('hostile expressions fail with a typed result: underflow, unreadable memory, endless loops', () => {
    const ctx = { readReg: () => 0n, readMem: () => undefined };
    assert.equal(evalExpr(Uint8Array.of(0x22), ctx).ok, false);
    assert.equal(evalExpr(Uint8Array.of(0x30, 0x06), ctx).ok, false);
    // DW_OP_lit1; DW_OP_bra -3 jumps back to itself forever (stack grows): bounded.
    const loop = evalExpr(Uint8Array.of(0x31, 0x31, 0x28, 0xfc, 0xff), ctx);
    assert.equal(loop.ok, false);
  });
});

describe('CFA rows', () => {
  // DW_CFA_def_cfa rsp 8; DW_CFA_offset rip, 1
  const cie = x86_64Cie(Uint8Array.of(0x0c, 7, 8, 0x90, 1));
  // push rbp; mov rbp,rsp: advance 1; def_cfa_offset 16; offset rbp,2; advance 3; def_cfa_register rbp
  const fde: Fde = {
    cie,
    start: 0x1000,
    end: 0x1100,
    instructions: Uint8Array.of(0x41, 0x0e, 16, 0x86, 2, 0x43, 0x0d, 6),
  };

  it('follows the function prologue instruction by instruction', () => {
    const at = (pc: number) => {
      const r = rowAt(fde, pc);
      assert.ok(r.ok);
      return r.value;
    };
    assert.deepEqual(at(0x1000).cfa, { kind: 'reg', reg: 7, offset: 8 });
    assert.deepEqual(at(0x1001).cfa, { kind: 'reg', reg: 7, offset: 16 });
    assert.deepEqual(at(0x1001).regs.get(6), { kind: 'offset', offset: -16 });
    assert.deepEqual(at(0x1004).cfa, { kind: 'reg', reg: 6, offset: 16 });
    assert.deepEqual(at(0x1004).regs.get(16), { kind: 'offset', offset: -8 });
  });

  it('restore_state without remember_state is an error, not a crash', () => {
    assert.equal(rowAt({ ...fde, instructions: Uint8Array.of(0x0b) }, 0x1000).ok, false);
  });
});
