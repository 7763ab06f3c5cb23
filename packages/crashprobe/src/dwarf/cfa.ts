// CFA rule evaluation (DWARF 5 §6.4.2): run a CIE's initial instructions and an
// FDE's instructions up to a pc, giving the row of rules; and the DWARF
// expression evaluator (§2.5) that CFA and register expressions need (PLT
// entries, glibc's __restore_rt signal trampoline).
import { type CoreResult, CoreErrorCodes, guard } from '../errors.ts';
import type { Fde } from './cfi.ts';
import { Cursor } from './cursor.ts';

export type RegRule =
  | { readonly kind: 'undefined' }
  | { readonly kind: 'same' }
  | { readonly kind: 'offset'; readonly offset: number }
  | { readonly kind: 'val_offset'; readonly offset: number }
  | { readonly kind: 'register'; readonly reg: number }
  | { readonly kind: 'expression'; readonly expr: Uint8Array }
  | { readonly kind: 'val_expression'; readonly expr: Uint8Array };

export type CfaRule =
  | { readonly kind: 'reg'; readonly reg: number; readonly offset: number }
  | { readonly kind: 'expr'; readonly expr: Uint8Array };

export interface Row {
  cfa: CfaRule;
  regs: Map<number, RegRule>;
}

/** Bounds the work one FDE may cost. */
export const MAX_CFA_STEPS = 100_000;

function cloneRow(r: Row): Row {
  return { cfa: r.cfa, regs: new Map(r.regs) };
}

function run(
  code: Uint8Array,
  row: Row,
  initial: Row | undefined,
  fde: Fde,
  pc: number,
  startLoc: number,
): number {
  const cie = fde.cie;
  const c = new Cursor(code);
  const stack: Row[] = [];
  let loc = startLoc;
  let steps = 0;
  while (c.remaining > 0) {
    if (++steps > MAX_CFA_STEPS) throw new RangeError('too many CFA instructions');
    const op = c.u8();
    const hi = op & 0xc0;
    const low = op & 0x3f;
    let advance = -1;
    if (hi === 0x40) advance = low * cie.codeAlign;
    else if (hi === 0x80) {
      row.regs.set(low, { kind: 'offset', offset: c.ulebn() * cie.dataAlign });
      continue;
    } else if (hi === 0xc0) {
      restore(row, initial, low);
      continue;
    } else {
      switch (op) {
        case 0x00:
          continue;
        case 0x01:
          loc = Number(c.u64());
          if (loc > pc) return loc;
          continue;
        case 0x02:
          advance = c.u8() * cie.codeAlign;
          break;
        case 0x03:
          advance = c.u16() * cie.codeAlign;
          break;
        case 0x04:
          advance = c.u32() * cie.codeAlign;
          break;
        case 0x05: {
          const reg = c.ulebn();
          row.regs.set(reg, { kind: 'offset', offset: c.ulebn() * cie.dataAlign });
          continue;
        }
        case 0x06:
          restore(row, initial, c.ulebn());
          continue;
        case 0x07:
          row.regs.set(c.ulebn(), { kind: 'undefined' });
          continue;
        case 0x08:
          row.regs.set(c.ulebn(), { kind: 'same' });
          continue;
        case 0x09: {
          const reg = c.ulebn();
          row.regs.set(reg, { kind: 'register', reg: c.ulebn() });
          continue;
        }
        case 0x0a:
          if (stack.length > 64) throw new RangeError('remember_state stack too deep');
          stack.push(cloneRow(row));
          continue;
        case 0x0b: {
          const prev = stack.pop();
          if (prev === undefined) throw new RangeError('restore_state without remember_state');
          // The remembered state includes the CFA rule (DWARF 5 §6.4.2.4).
          row.cfa = prev.cfa;
          row.regs = prev.regs;
          continue;
        }
        case 0x0c: {
          const reg = c.ulebn();
          row.cfa = { kind: 'reg', reg, offset: c.ulebn() };
          continue;
        }
        case 0x0d: {
          const reg = c.ulebn();
          row.cfa = { kind: 'reg', reg, offset: row.cfa.kind === 'reg' ? row.cfa.offset : 0 };
          continue;
        }
        case 0x0e: {
          const offset = c.ulebn();
          if (row.cfa.kind === 'reg') row.cfa = { kind: 'reg', reg: row.cfa.reg, offset };
          continue;
        }
        case 0x0f:
          row.cfa = { kind: 'expr', expr: c.take(c.ulebn()) };
          continue;
        case 0x10: {
          const reg = c.ulebn();
          row.regs.set(reg, { kind: 'expression', expr: c.take(c.ulebn()) });
          continue;
        }
        case 0x11: {
          const reg = c.ulebn();
          row.regs.set(reg, { kind: 'offset', offset: c.slebn() * cie.dataAlign });
          continue;
        }
        case 0x12: {
          const reg = c.ulebn();
          row.cfa = { kind: 'reg', reg, offset: c.slebn() * cie.dataAlign };
          continue;
        }
        case 0x13: {
          const offset = c.slebn() * cie.dataAlign;
          if (row.cfa.kind === 'reg') row.cfa = { kind: 'reg', reg: row.cfa.reg, offset };
          continue;
        }
        case 0x14: {
          const reg = c.ulebn();
          row.regs.set(reg, { kind: 'val_offset', offset: c.ulebn() * cie.dataAlign });
          continue;
        }
        case 0x15: {
          const reg = c.ulebn();
          row.regs.set(reg, { kind: 'val_offset', offset: c.slebn() * cie.dataAlign });
          continue;
        }
        case 0x16: {
          const reg = c.ulebn();
          row.regs.set(reg, { kind: 'val_expression', expr: c.take(c.ulebn()) });
          continue;
        }
        case 0x2e:
          c.ulebn();
          continue;
        case 0x2f: {
          const reg = c.ulebn();
          row.regs.set(reg, { kind: 'offset', offset: -c.ulebn() * cie.dataAlign });
          continue;
        }
        default:
          throw new RangeError(`unknown CFA opcode 0x${op.toString(16)}`);
      }
    }
    loc += advance;
    if (loc > pc) return loc;
  }
  return loc;
}

function restore(row: Row, initial: Row | undefined, reg: number): void {
  const rule = initial?.regs.get(reg);
  if (rule === undefined) row.regs.delete(reg);
  else row.regs.set(reg, rule);
}

/** The rule row in effect at link-time address `pc` inside `fde`. */
export function rowAt(fde: Fde, pc: number): CoreResult<Row> {
  return guard(CoreErrorCodes.CRASH_DWARF_CFI, 'CFA instructions', () => {
    const row: Row = { cfa: { kind: 'reg', reg: 7, offset: 8 }, regs: new Map() };
    run(fde.cie.initialInstructions, row, undefined, fde, Number.POSITIVE_INFINITY, fde.start);
    const initial = cloneRow(row);
    run(fde.instructions, row, initial, fde, pc, fde.start);
    return row;
  });
}

export interface ExprContext {
  readReg(reg: number): bigint | undefined;
  readMem(addr: bigint, size: number): bigint | undefined;
}

export const MAX_EXPR_STEPS = 10_000;

const MASK = (1n << 64n) - 1n;

/** Evaluates a DWARF expression; `push` seeds the stack (the CFA for register rules). */
export function evalExpr(expr: Uint8Array, ctx: ExprContext, push?: bigint): CoreResult<bigint> {
  return guard(CoreErrorCodes.CRASH_DWARF_CFI, 'DWARF expression', () => {
    const s: bigint[] = push === undefined ? [] : [push];
    const pop = (): bigint => {
      const v = s.pop();
      if (v === undefined) throw new RangeError('expression stack underflow');
      return v;
    };
    const need = <T>(v: T | undefined, what: string): T => {
      if (v === undefined) throw new RangeError(`${what} unavailable`);
      return v;
    };
    const c = new Cursor(expr);
    let steps = 0;
    while (c.remaining > 0) {
      if (++steps > MAX_EXPR_STEPS) throw new RangeError('expression too long');
      if (s.length > 1000) throw new RangeError('expression stack overflow');
      const op = c.u8();
      if (op >= 0x30 && op <= 0x4f) {
        s.push(BigInt(op - 0x30));
        continue;
      }
      if (op >= 0x50 && op <= 0x6f) throw new RangeError('DW_OP_reg in a CFI expression');
      if (op >= 0x70 && op <= 0x8f) {
        const off = c.sleb();
        s.push((need(ctx.readReg(op - 0x70), `register ${op - 0x70}`) + off) & MASK);
        continue;
      }
      switch (op) {
        case 0x03:
          s.push(c.u64());
          break;
        case 0x06:
          s.push(need(ctx.readMem(pop(), 8), 'memory'));
          break;
        case 0x08:
          s.push(BigInt(c.u8()));
          break;
        case 0x09:
          s.push(BigInt(c.i8()) & MASK);
          break;
        case 0x0a:
          s.push(BigInt(c.u16()));
          break;
        case 0x0b:
          s.push(BigInt(c.i16()) & MASK);
          break;
        case 0x0c:
          s.push(BigInt(c.u32()));
          break;
        case 0x0d:
          s.push(BigInt(c.i32()) & MASK);
          break;
        case 0x0e:
          s.push(c.u64());
          break;
        case 0x0f:
          s.push(c.i64() & MASK);
          break;
        case 0x10:
          s.push(c.uleb());
          break;
        case 0x11:
          s.push(c.sleb() & MASK);
          break;
        case 0x12:
          s.push(need(s[s.length - 1], 'dup operand'));
          break;
        case 0x13:
          pop();
          break;
        case 0x14:
          s.push(need(s[s.length - 2], 'over operand'));
          break;
        case 0x15: {
          const i = c.u8();
          s.push(need(s[s.length - 1 - i], 'pick operand'));
          break;
        }
        case 0x16: {
          const a = pop();
          const b = pop();
          s.push(a, b);
          break;
        }
        case 0x17: {
          const a = pop();
          const b = pop();
          const d = pop();
          s.push(a, d, b);
          break;
        }
        case 0x19: {
          const a = BigInt.asIntN(64, pop());
          s.push((a < 0n ? -a : a) & MASK);
          break;
        }
        case 0x1a: {
          const b = pop();
          s.push(pop() & b);
          break;
        }
        case 0x1b: {
          const b = BigInt.asIntN(64, pop());
          const a = BigInt.asIntN(64, pop());
          if (b === 0n) throw new RangeError('division by zero');
          s.push((a / b) & MASK);
          break;
        }
        case 0x1c: {
          const b = pop();
          s.push((pop() - b) & MASK);
          break;
        }
        case 0x1d: {
          const b = pop();
          const a = pop();
          if (b === 0n) throw new RangeError('modulo by zero');
          s.push(a % b);
          break;
        }
        case 0x1e: {
          const b = pop();
          s.push((pop() * b) & MASK);
          break;
        }
        case 0x1f:
          s.push(-pop() & MASK);
          break;
        case 0x20:
          s.push(~pop() & MASK);
          break;
        case 0x21: {
          const b = pop();
          s.push(pop() | b);
          break;
        }
        case 0x22: {
          const b = pop();
          s.push((pop() + b) & MASK);
          break;
        }
        case 0x23:
          s.push((pop() + c.uleb()) & MASK);
          break;
        case 0x24: {
          const b = pop();
          s.push(b >= 64n ? 0n : (pop() << b) & MASK);
          break;
        }
        case 0x25: {
          const b = pop();
          s.push(b >= 64n ? 0n : pop() >> b);
          break;
        }
        case 0x26: {
          const b = pop();
          s.push((BigInt.asIntN(64, pop()) >> (b >= 64n ? 63n : b)) & MASK);
          break;
        }
        case 0x27: {
          const b = pop();
          s.push(pop() ^ b);
          break;
        }
        case 0x28: {
          const off = c.i16();
          if (pop() !== 0n) c.seek(c.pos + off);
          break;
        }
        case 0x29:
        case 0x2a:
        case 0x2b:
        case 0x2c:
        case 0x2d:
        case 0x2e: {
          const b = BigInt.asIntN(64, pop());
          const a = BigInt.asIntN(64, pop());
          const r =
            op === 0x29
              ? a === b
              : op === 0x2a
                ? a >= b
                : op === 0x2b
                  ? a > b
                  : op === 0x2c
                    ? a <= b
                    : op === 0x2d
                      ? a < b
                      : a !== b;
          s.push(r ? 1n : 0n);
          break;
        }
        case 0x2f: {
          const off = c.i16();
          c.seek(c.pos + off);
          break;
        }
        case 0x92: {
          const reg = c.ulebn();
          const off = c.sleb();
          s.push((need(ctx.readReg(reg), `register ${reg}`) + off) & MASK);
          break;
        }
        case 0x94: {
          const size = c.u8();
          if (size < 1 || size > 8) throw new RangeError(`deref_size ${size}`);
          s.push(need(ctx.readMem(pop(), size), 'memory'));
          break;
        }
        case 0x96:
          break;
        default:
          throw new RangeError(`unsupported DW_OP 0x${op.toString(16)}`);
      }
    }
    return pop();
  });
}
