// Unwinds one thread from its NT_PRSTATUS registers: DWARF CFI of the module
// holding the pc (.eh_frame, then .debug_frame), else the frame-pointer chain
// (as libdwfl's x86_64 fallback). The pc of a non-activation frame is looked
// up minus 1 (a call's return address may be the next function). Pure.
import { type ExprContext, evalExpr, rowAt } from './dwarf/cfa.ts';
import type { CoreMemory } from './elf/core.ts';
import type { PrStatus } from './elf/notes.ts';
import type { CfiLookup } from './modules.ts';

export interface UnwindModules {
  /** The FDE for a process address, if a trusted module has one. */
  fde(pc: number): CfiLookup | undefined;
}

export interface Frame {
  readonly pc: number;
  /** The pc is where execution stopped (initial frame, or interrupted by a signal), not a return address. */
  readonly activation: boolean;
}

export type UnwindEnd =
  | { readonly kind: 'end' }
  | { readonly kind: 'limit' }
  | { readonly kind: 'deadline' }
  | { readonly kind: 'error'; readonly message: string };

export interface UnwindResult {
  readonly frames: Frame[];
  readonly end: UnwindEnd;
}

const RA = 16;
const SP = 7;
const FP = 6;
const MAX_ADDR = BigInt(Number.MAX_SAFE_INTEGER);

/** DWARF x86_64 register numbers (psABI table 3.36) of the user_regs_struct fields. */
export function dwarfRegs(t: PrStatus): Map<number, bigint> {
  const r = t.regs;
  return new Map<number, bigint>([
    [0, r.rax],
    [1, r.rdx],
    [2, r.rcx],
    [3, r.rbx],
    [4, r.rsi],
    [5, r.rdi],
    [6, r.rbp],
    [7, r.rsp],
    [8, r.r8],
    [9, r.r9],
    [10, r.r10],
    [11, r.r11],
    [12, r.r12],
    [13, r.r13],
    [14, r.r14],
    [15, r.r15],
    [16, r.rip],
  ]);
}

export interface UnwindOptions {
  readonly maxFrames: number;
  /** Returns true when the time budget is spent. */
  readonly expired: () => boolean;
}

type Step = { regs: Map<number, bigint>; signal: boolean } | { end: true } | { error: string };

function stepCfi(look: CfiLookup, pc: number, regs: Map<number, bigint>, mem: CoreMemory): Step | undefined {
  const row = rowAt(look.fde, pc - look.bias);
  if (!row.ok) return { error: `${row.section}: ${row.detail}` };
  const ctx: ExprContext = { readReg: (r) => regs.get(r), readMem: (a, size) => mem.readN(a, size) };
  let cfa: bigint;
  const rule = row.value.cfa;
  if (rule.kind === 'reg') {
    const base = regs.get(rule.reg);
    if (base === undefined) return { error: `CFA register ${rule.reg} unknown` };
    cfa = BigInt.asUintN(64, base + BigInt(rule.offset));
  } else {
    const v = evalExpr(rule.expr, ctx);
    if (!v.ok) return { error: `CFA expression: ${v.detail}` };
    cfa = v.value;
  }
  const raRule = row.value.regs.get(look.fde.cie.raColumn);
  if (raRule === undefined || raRule.kind === 'undefined') return { end: true };
  const next = new Map<number, bigint>();
  for (const [reg, value] of regs) {
    const r = row.value.regs.get(reg);
    if (r === undefined || r.kind === 'same') next.set(reg, value);
  }
  for (const [reg, r] of row.value.regs) {
    let v: bigint | undefined;
    switch (r.kind) {
      case 'undefined':
      case 'same':
        continue;
      case 'offset':
        v = mem.readU64(BigInt.asUintN(64, cfa + BigInt(r.offset)));
        break;
      case 'val_offset':
        v = BigInt.asUintN(64, cfa + BigInt(r.offset));
        break;
      case 'register':
        v = regs.get(r.reg);
        break;
      case 'expression': {
        const a = evalExpr(r.expr, ctx, cfa);
        v = a.ok ? mem.readU64(a.value) : undefined;
        break;
      }
      case 'val_expression': {
        const a = evalExpr(r.expr, ctx, cfa);
        v = a.ok ? a.value : undefined;
        break;
      }
    }
    if (v !== undefined) next.set(reg, v);
    else if (reg === look.fde.cie.raColumn) return { error: 'return address not readable' };
    else next.delete(reg);
  }
  if (!row.value.regs.has(SP) || row.value.regs.get(SP)?.kind === 'same') next.set(SP, cfa);
  return { regs: next, signal: look.fde.cie.signalFrame };
}

function stepFramePointer(regs: Map<number, bigint>, mem: CoreMemory): Step {
  const fp = regs.get(FP);
  const sp = regs.get(SP);
  if (fp === undefined || fp === 0n) return { error: 'no unwind information and no frame pointer' };
  if (sp !== undefined && fp < sp) return { error: 'frame pointer below the stack pointer' };
  const ra = mem.readU64(fp + 8n);
  const prevFp = mem.readU64(fp);
  if (ra === undefined || prevFp === undefined)
    return { error: 'frame pointer chain leaves the dumped stack' };
  const next = new Map(regs);
  next.set(RA, ra);
  next.set(FP, prevFp);
  next.set(SP, fp + 16n);
  return { regs: next, signal: false };
}

function stepAtEntry(regs: Map<number, bigint>, mem: CoreMemory, modules: UnwindModules): Step | undefined {
  const sp = regs.get(SP);
  if (sp === undefined) return undefined;
  const ra = mem.readU64(sp);
  if (ra === undefined || ra === 0n || ra > MAX_ADDR || modules.fde(Number(ra) - 1) === undefined)
    return undefined;
  const next = new Map(regs);
  next.set(RA, ra);
  next.set(SP, sp + 8n);
  return { regs: next, signal: false };
}

export function unwindThread(
  thread: PrStatus,
  modules: UnwindModules,
  mem: CoreMemory,
  opts: UnwindOptions,
): UnwindResult {
  const frames: Frame[] = [];
  let regs = dwarfRegs(thread);
  let activation = true;
  const seen = new Set<string>();
  for (;;) {
    if (opts.expired()) return { frames, end: { kind: 'deadline' } };
    const pcBig = regs.get(RA);
    if (pcBig === undefined)
      return { frames, end: { kind: 'error', message: 'Failed to find program counter for current frame' } };
    if (pcBig === 0n) return { frames, end: { kind: 'end' } };
    if (pcBig > MAX_ADDR)
      return { frames, end: { kind: 'error', message: 'program counter outside user space' } };
    const pc = Number(pcBig);
    if (frames.length >= opts.maxFrames) return { frames, end: { kind: 'limit' } };
    frames.push({ pc, activation });
    const key = `${pc}:${regs.get(SP) ?? ''}`;
    if (seen.has(key))
      return { frames, end: { kind: 'error', message: 'unwinding loops (same pc and stack pointer)' } };
    seen.add(key);
    const lookupPc: number = activation ? pc : pc - 1;
    const look = modules.fde(lookupPc);
    let step: Step | undefined = look === undefined ? undefined : stepCfi(look, lookupPc, regs, mem);
    // The stopped pc itself may lie in assembly without CFI (glibc's clone3
    // ends its FDE before the syscall, so a parent stopped right after it has
    // none). If nothing is pushed there yet, the return address is at the
    // stack pointer; trust that only when it lands in code that has CFI.
    if (step === undefined && activation && frames.length === 1) step = stepAtEntry(regs, mem, modules);
    if (step === undefined || 'error' in step) {
      const fp = stepFramePointer(regs, mem);
      step = 'error' in fp && step !== undefined ? step : fp;
    }
    // libdwfl's dwfl_frame_pc: a frame whose own FDE is a signal trampoline ('S', e.g.
    // __restore_rt) counts as an activation too, so its pc is symbolized without the -1.
    if (!activation && look !== undefined && look.fde.cie.signalFrame)
      frames[frames.length - 1] = { pc, activation: true };
    if ('end' in step) return { frames, end: { kind: 'end' } };
    if ('error' in step) return { frames, end: { kind: 'error', message: step.error } };
    const oldSp = regs.get(SP) ?? 0n;
    const newSp = step.regs.get(SP) ?? 0n;
    // The stack grows down: a caller's frame never sits below its callee's (signal frames aside).
    if (!step.signal && !activation && newSp < oldSp) {
      return { frames, end: { kind: 'error', message: 'stack pointer moved backwards' } };
    }
    activation = step.signal;
    regs = step.regs;
  }
}
