// Every CoreErrorCode is produced by some hostile input (STYLE: each code has a test).
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { parseCie } from './dwarf/cfi.ts';
import { readCompUnit } from './dwarf/info.ts';
import { parseLineProgram } from './dwarf/line.ts';
import { DEFAULT_CORE_LIMITS } from './elf/core.ts';
import { parseElfHeader } from './elf/header.ts';
import { parsePrStatus } from './elf/notes.ts';
import { parseProgramHeaders, parseSectionHeaders } from './elf/segments.ts';
import { parseSymbols } from './elf/symbols.ts';
import { CoreErrorCodes } from './errors.ts';
import { CoreAssembler } from './input/core-assembler.ts';
import { readCoreStream } from './input/core-stream.ts';

function elfHeader(type: number, phnum = 0): Uint8Array {
  const b = new Uint8Array(64);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  const v = new DataView(b.buffer);
  v.setUint16(16, type, true);
  v.setUint16(18, 62, true);
  v.setBigUint64(32, 64n, true);
  v.setUint16(54, 56, true);
  v.setUint16(56, phnum, true);
  v.setUint16(58, 64, true);
  return b;
}

const codeOf = (r: { ok: boolean; code?: string }): string | undefined => (r.ok ? undefined : r.code);

describe('crashprobe error codes', () => {
  it('CRASH_ELF_HEADER: no magic, wrong class, not a core', () => {
    assert.equal(codeOf(parseElfHeader(new Uint8Array(64))), CoreErrorCodes.CRASH_ELF_HEADER);
    const asm = new CoreAssembler(DEFAULT_CORE_LIMITS);
    asm.push(elfHeader(2));
    assert.equal(codeOf(asm.finish()), CoreErrorCodes.CRASH_ELF_HEADER);
  });

  it('CRASH_ELF_SEGMENTS and CRASH_ELF_SECTIONS: headers past the bytes given', () => {
    const h = parseElfHeader(elfHeader(4, 3));
    assert.ok(h.ok);
    assert.equal(codeOf(parseProgramHeaders(h.value, elfHeader(4, 3))), CoreErrorCodes.CRASH_ELF_SEGMENTS);
    assert.equal(
      codeOf(parseSectionHeaders({ ...h.value, shnum: 2, shoff: 64, shentsize: 64 }, new Uint8Array(100))),
      CoreErrorCodes.CRASH_ELF_SECTIONS,
    );
  });

  it('CRASH_ELF_NOTES: a short NT_PRSTATUS; CRASH_NO_THREADS: a core without one', () => {
    assert.equal(codeOf(parsePrStatus(new Uint8Array(100))), CoreErrorCodes.CRASH_ELF_NOTES);
    const asm = new CoreAssembler(DEFAULT_CORE_LIMITS);
    asm.push(elfHeader(4, 0));
    assert.equal(codeOf(asm.finish()), CoreErrorCodes.CRASH_NO_THREADS);
  });

  it('CRASH_ELF_SYMBOLS: more symbols than allowed', () => {
    assert.equal(
      codeOf(parseSymbols(new Uint8Array(24 * 11), new Uint8Array(1), 1, 10)),
      CoreErrorCodes.CRASH_ELF_SYMBOLS,
    );
  });

  it('CRASH_DWARF_CFI, CRASH_DWARF_LINE, CRASH_DWARF_INFO: truncated records', () => {
    const cfi = parseCie({ bytes: Uint8Array.of(0x10, 0, 0, 0, 0, 0, 0, 0), vaddr: 0, kind: 'eh_frame' }, 0);
    assert.equal(codeOf(cfi), CoreErrorCodes.CRASH_DWARF_CFI);
    assert.equal(
      codeOf(parseLineProgram(Uint8Array.of(2, 0, 0, 0, 4, 0), 0, undefined, {})),
      CoreErrorCodes.CRASH_DWARF_LINE,
    );
    const info = readCompUnit({ info: Uint8Array.of(0x20, 0, 0, 0, 5, 0), abbrev: new Uint8Array(0) }, 0);
    assert.equal(codeOf(info), CoreErrorCodes.CRASH_DWARF_INFO);
  });

  it('CRASH_CORE_READ: the input fails while being read', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('EIO'));
      },
    });
    const r = await readCoreStream(failing, {
      limits: DEFAULT_CORE_LIMITS,
      deadlineMs: performance.now() + 10_000,
      now: () => performance.now(),
    });
    assert.equal(codeOf(r.result), CoreErrorCodes.CRASH_CORE_READ);
  });
});
