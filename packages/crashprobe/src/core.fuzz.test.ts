// Hostile cores: truncated at every structure boundary, and a seeded fuzzer
// (>= 20k mutated cores and module files). Whatever the bytes, the pipeline
// must not throw, must end, and must produce a bounded payload or a typed error.
// Set TELEM_FC_SEED to replay a run; the seed is printed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { readVector } from '../../../test/helpers/vectors.ts';
import { analyzeCore } from './analyze.ts';
import { DEFAULT_CORE_LIMITS } from './elf/core.ts';
import { parseElfHeader } from './elf/header.ts';
import { bytesSource } from './elf/image.ts';
import { parseNotes } from './elf/notes.ts';
import { PT_NOTE, parseProgramHeaders } from './elf/segments.ts';
import { CoreAssembler } from './input/core-assembler.ts';
import { describeModules, ModuleMap, type ModuleOpener } from './modules.ts';
import { MAX_PAYLOAD_BYTES } from './report.ts';
import { mulberry32 } from '../../../test/helpers/prng.ts';

const CORE = new Uint8Array(gunzipSync(readVector('crash/cores/crashme-g.core.gz')));
const BINARY = new Uint8Array(readVector('crash/bin/crashme-g'));

/** Runs the whole pure pipeline; returns a short outcome tag. Must never throw. */
function analyze(core: Uint8Array, binary: Uint8Array, chunk: number): string {
  const asm = new CoreAssembler(DEFAULT_CORE_LIMITS);
  for (let off = 0; off < core.length && !asm.complete; off += chunk)
    asm.push(core.subarray(off, off + chunk));
  const r = asm.finish();
  if (!r.ok) {
    assert.ok(r.code.startsWith('CRASH_'), r.code);
    assert.equal(typeof r.section, 'string');
    return r.code;
  }
  // Only the program is served (from memory); libc and ld.so stay unavailable, which keeps this fast.
  const opener: ModuleOpener = {
    openModule: (p) => (p === '/usr/bin/crashme-g' ? bytesSource(binary) : undefined),
    openDebugByBuildId: () => undefined,
    openDebugLink: () => undefined,
  };
  let steps = 0;
  const report = analyzeCore(r.value, new ModuleMap(describeModules(r.value), opener), {
    processName: 'crashme-g',
    processPath: '/usr/bin/crashme-g',
    signal: 11,
    // A step budget stands in for the clock so the test is deterministic.
    expired: () => ++steps > 10_000,
  });
  assert.ok(Buffer.byteLength(report.payload, 'latin1') <= MAX_PAYLOAD_BYTES);
  assert.ok(report.payload.startsWith('Process: /usr/bin/crashme-g\nPID: '), report.payload);
  return report.cls.classification;
}

function boundaries(): number[] {
  const out = new Set<number>();
  for (let i = 0; i <= 64; i++) out.add(i);
  const h = parseElfHeader(CORE);
  assert.ok(h.ok);
  const ph = parseProgramHeaders(h.value, CORE);
  assert.ok(ph.ok);
  for (let i = 0; i <= h.value.phnum; i++) out.add(h.value.phoff + i * h.value.phentsize);
  for (const p of ph.value) {
    out.add(p.offset);
    out.add(p.offset + p.filesz);
    if (p.type !== PT_NOTE) continue;
    let at = p.offset;
    const notes = parseNotes(CORE.subarray(p.offset, p.offset + p.filesz));
    assert.ok(notes.ok);
    for (const n of notes.value) {
      out.add(at);
      out.add(at + 12);
      at += 12 + ((n.name.length + 1 + 3) & ~3) + ((n.desc.length + 3) & ~3);
      out.add(at - 1);
    }
  }
  return [...out].filter((n) => n <= CORE.length).sort((a, b) => a - b);
}

describe('hostile cores', () => {
  it('the untouched core unwinds through the program (the fuzzer starts from a valid input)', () => {
    // libc is not served, so unwinding stops in libc's start code with an error record, as C would.
    assert.equal(analyze(CORE, BINARY, 65536), 'org.clearlinux/crash/error');
  });

  it('truncated at every structure boundary: a typed error or a partial record, never a throw', () => {
    const seen = new Set<string>();
    for (const n of boundaries()) seen.add(analyze(CORE.subarray(0, n), BINARY, 4096));
    assert.ok(seen.has('CRASH_ELF_HEADER'));
    assert.ok(seen.has('CRASH_NO_THREADS'));
    assert.ok(seen.has('org.clearlinux/crash/clr') || seen.has('org.clearlinux/crash/error'));
  });

  it('absurd header counts and offsets are refused before any allocation', () => {
    const bad = CORE.slice(0, 4096);
    const v = new DataView(bad.buffer);
    v.setBigUint64(32, 0xffff_ffff_ffffn, true); // e_phoff
    assert.equal(analyze(bad, BINARY, 4096), 'CRASH_ELF_SEGMENTS');
    const notes = CORE.slice();
    const h = parseElfHeader(CORE);
    assert.ok(h.ok);
    const ph = parseProgramHeaders(h.value, CORE);
    assert.ok(ph.ok);
    const noteIndex = ph.value.findIndex((p) => p.type === PT_NOTE);
    new DataView(notes.buffer).setBigUint64(64 + noteIndex * 56 + 32, 0x7fff_ffff_ffffn, true); // p_filesz
    assert.equal(analyze(notes, BINARY, 65536), 'CRASH_ELF_NOTES');
  });

  it('survives 20000 seeded mutations of the core and the program file', () => {
    const seed = Number(process.env['TELEM_FC_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`crash fuzz seed: ${seed} (replay with TELEM_FC_SEED=${seed})`);
    const rand = mulberry32(seed);
    const h = parseElfHeader(CORE);
    assert.ok(h.ok);
    const ph = parseProgramHeaders(h.value, CORE);
    assert.ok(ph.ok);
    const note = ph.value.find((p) => p.type === PT_NOTE);
    assert.ok(note !== undefined);
    const prefixEnd = note.offset + note.filesz;
    const core = CORE.slice();
    const binary = BINARY.slice();
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      const target = rand() < 0.75 ? core : binary;
      const span = target === core ? prefixEnd : binary.length;
      const edits: Array<[number, number]> = [];
      const count = 1 + Math.floor(rand() * 4);
      for (let k = 0; k < count; k++) {
        const at = Math.floor(rand() * span);
        edits.push([at, target[at] ?? 0]);
        const kind = rand();
        if (kind < 0.6) target[at] = (target[at] ?? 0) ^ (1 << Math.floor(rand() * 8));
        else if (kind < 0.8) target[at] = 0xff;
        else target[at] = 0;
      }
      const cut = rand() < 0.1 ? Math.floor(rand() * core.length) : core.length;
      const tag = analyze(core.subarray(0, cut), binary, 1 + Math.floor(rand() * 70_000));
      outcomes.set(tag, (outcomes.get(tag) ?? 0) + 1);
      for (const [at, old] of edits.reverse()) target[at] = old;
    }
    console.log(`crash fuzz outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}`);
    assert.ok((outcomes.get('org.clearlinux/crash/error') ?? 0) > 0);
  });
});
