import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { x86_64Cie } from './dwarf/cfi.fixtures.ts';
import { CoreMemory } from './elf/core.ts';
import { X86_64_USER_REGS, type PrStatus, type X86Reg } from './elf/notes.ts';
import { unwindThread } from './unwind.ts';

function thread(set: Partial<Record<X86Reg, bigint>>): PrStatus {
  const regs = Object.fromEntries(X86_64_USER_REGS.map((r) => [r, set[r] ?? 0n])) as Record<X86Reg, bigint>;
  return { signal: 11, tid: 7, regs };
}

function stack(base: number, words: bigint[]): CoreMemory {
  const bytes = new Uint8Array(words.length * 8);
  const v = new DataView(bytes.buffer);
  for (const [i, w] of words.entries()) v.setBigUint64(i * 8, w, true);
  return new CoreMemory([{ vaddr: base, bytes }]);
}

const noCfi = { fde: () => undefined };
const opts = { maxFrames: 65, expired: () => false };

describe('unwinder', () => {
  it('frame-pointer fallback walks the rbp chain and ends at a zero return address', () => {
    // frame at 0x1000: [saved rbp=0x1010, ra=0x400100]; frame at 0x1010: [0, ra=0]
    const mem = stack(0x1000, [0x1010n, 0x400100n, 0n, 0n]);
    const r = unwindThread(thread({ rip: 0x400000n, rsp: 0xff0n, rbp: 0x1000n }), noCfi, mem, opts);
    assert.deepEqual(r.frames, [
      { pc: 0x400000, activation: true },
      { pc: 0x400100, activation: false },
    ]);
    assert.equal(r.end.kind, 'end');
  });

  it('a stopped pc without CFI (clone3 after its syscall): the return address at the stack pointer, if it lands in code with CFI', () => {
    // DW_CFA_def_cfa rsp 8; DW_CFA_undefined rip: the outermost frame.
    const cie = x86_64Cie(Uint8Array.of(0x0c, 7, 8, 0x07, 16));
    const fde = { cie, start: 0x500000, end: 0x500100, instructions: new Uint8Array(0) };
    const modules = { fde: (pc: number) => (pc >= 0x500000 && pc < 0x500100 ? { fde, bias: 0 } : undefined) };
    const r = unwindThread(
      thread({ rip: 0x400000n, rsp: 0x1000n }),
      modules,
      stack(0x1000, [0x500010n]),
      opts,
    );
    assert.deepEqual(r.frames, [
      { pc: 0x400000, activation: true },
      { pc: 0x500010, activation: false },
    ]);
    assert.equal(r.end.kind, 'end');
    // Not when [rsp] points nowhere with CFI: then the frame-pointer walk decides (here: no frame pointer).
    const r2 = unwindThread(
      thread({ rip: 0x400000n, rsp: 0x1000n }),
      modules,
      stack(0x1000, [0x600000n]),
      opts,
    );
    assert.equal(r2.frames.length, 1);
    assert.equal(r2.end.kind, 'error');
  });

  it('a frame chain that points at itself is detected, not followed forever', () => {
    const mem = stack(0x1000, [0x1000n, 0x400100n]);
    const r = unwindThread(thread({ rip: 0x400100n, rsp: 0xff0n, rbp: 0x1000n }), noCfi, mem, opts);
    assert.equal(r.end.kind, 'error');
    assert.ok(r.frames.length <= 3);
  });

  it('stops at the frame cap and at the deadline', () => {
    // Each frame points 16 bytes up: an endless but well-formed chain.
    const words: bigint[] = [];
    for (let i = 0; i < 200; i++) words.push(BigInt(0x1000 + (i + 1) * 16), 0x400100n + BigInt(i));
    const mem = stack(0x1000, words);
    const t = thread({ rip: 0x400000n, rsp: 0xff0n, rbp: 0x1000n });
    assert.equal(unwindThread(t, noCfi, mem, opts).end.kind, 'limit');
    assert.equal(unwindThread(t, noCfi, mem, opts).frames.length, 65);
    let n = 0;
    const r = unwindThread(t, noCfi, mem, { maxFrames: 65, expired: () => ++n > 3 });
    assert.equal(r.end.kind, 'deadline');
  });
});
