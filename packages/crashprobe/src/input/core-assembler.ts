// Builds a CoreImage from a core read once, front to back (a pipe cannot
// seek): it buffers the prefix up to the end of the notes, then plans which
// PT_LOAD bytes to keep and copies only those out of the chunks that follow.
// Everything else is discarded as it passes, so memory stays bounded by the
// limits whatever the core size. Pure: the caller feeds the chunks.
import {
  type CoreImage,
  type CoreLimits,
  CoreMemory,
  type CoreNotes,
  checkCoreHeader,
  interpretNotes,
  type KeepRange,
  planCore,
} from '../elf/core.ts';
import { ELF_HEADER_BYTES, type ElfHeader, parseElfHeader } from '../elf/header.ts';
import { type Note, parseNotes } from '../elf/notes.ts';
import { PT_NOTE, type ProgramHeader, parseProgramHeaders } from '../elf/segments.ts';
import { type CoreResult, CoreErrorCodes, failResult, okResult } from '../errors.ts';

/** The headers and notes of a core must fit in this prefix. */
export const MAX_PREFIX_BYTES = 32 * 1024 * 1024;

type Phase = 'prefix' | 'segments' | 'done';

export class CoreAssembler {
  private readonly limits: CoreLimits;
  private phase: Phase = 'prefix';
  private prefixParts: Uint8Array[] = [];
  private prefixLength = 0;
  private prefixNeeded = ELF_HEADER_BYTES;
  private pos = 0;
  private header: ElfHeader | undefined;
  private segments: ProgramHeader[] = [];
  private notes: CoreNotes | undefined;
  private ranges: KeepRange[] = [];
  private buffers: Uint8Array[] = [];
  private filled: number[] = [];
  private error: CoreResult<never> | undefined;

  constructor(limits: CoreLimits) {
    this.limits = limits;
  }

  /** True once nothing more is needed from the input. */
  get complete(): boolean {
    return this.phase === 'done' || this.error !== undefined;
  }

  get bytesSeen(): number {
    return this.pos;
  }

  push(chunk: Uint8Array): void {
    if (this.complete) return;
    const chunkStart = this.pos;
    this.pos += chunk.length;
    if (this.phase === 'prefix') {
      // Callers may reuse their buffer: keep a copy of the (small) prefix.
      this.prefixParts.push(chunk.slice());
      this.prefixLength += chunk.length;
      while (this.phase === 'prefix' && this.error === undefined && this.prefixLength >= this.prefixNeeded) {
        this.advancePrefix();
      }
      return;
    }
    if (this.phase === 'segments') this.copy(chunk, chunkStart);
  }

  private prefix(): Uint8Array {
    if (this.prefixParts.length !== 1) {
      this.prefixParts = [Buffer.concat(this.prefixParts)];
    }
    return this.prefixParts[0] ?? new Uint8Array(0);
  }

  private advancePrefix(): void {
    const bytes = this.prefix();
    if (this.header === undefined) {
      const h = parseElfHeader(bytes);
      if (!h.ok) {
        this.fail(h);
        return;
      }
      const c = checkCoreHeader(h.value);
      if (!c.ok) {
        this.fail(c);
        return;
      }
      this.header = h.value;
      const need = h.value.phoff + h.value.phnum * h.value.phentsize;
      if (need > MAX_PREFIX_BYTES) {
        this.fail(failResult(CoreErrorCodes.CRASH_ELF_SEGMENTS, 'program headers', `end at ${need}`));
        return;
      }
      this.prefixNeeded = Math.max(need, ELF_HEADER_BYTES);
      return;
    }
    if (this.segments.length === 0 && this.header.phnum > 0 && this.notes === undefined) {
      const ph = parseProgramHeaders(this.header, bytes);
      if (!ph.ok) {
        this.fail(ph);
        return;
      }
      this.segments = ph.value;
      let notesEnd = this.prefixNeeded;
      for (const p of this.segments) {
        if (p.type === PT_NOTE) notesEnd = Math.max(notesEnd, p.offset + p.filesz);
      }
      if (notesEnd > MAX_PREFIX_BYTES) {
        this.fail(failResult(CoreErrorCodes.CRASH_ELF_NOTES, 'PT_NOTE', `notes end at ${notesEnd}`));
        return;
      }
      if (notesEnd > this.prefixNeeded) {
        this.prefixNeeded = notesEnd;
        return;
      }
    }
    // The prefix now holds every note.
    const all: Note[] = [];
    for (const p of this.segments) {
      if (p.type !== PT_NOTE) continue;
      const n = parseNotes(bytes.subarray(p.offset, p.offset + p.filesz));
      if (n.ok) all.push(...n.value);
    }
    this.notes = interpretNotes(all, this.limits.maxThreads);
    if (this.notes.threads.length === 0) {
      this.fail(
        failResult(CoreErrorCodes.CRASH_NO_THREADS, 'NT_PRSTATUS', 'the core has no thread status note'),
      );
      return;
    }
    this.ranges = planCore(this.segments, this.notes, this.limits);
    this.buffers = this.ranges.map((r) => new Uint8Array(r.fileEnd - r.fileStart));
    this.filled = this.ranges.map(() => 0);
    this.phase = 'segments';
    this.prefixParts = [];
    this.copy(bytes, 0);
  }

  private copy(chunk: Uint8Array, chunkStart: number): void {
    const chunkEnd = chunkStart + chunk.length;
    let pending = false;
    for (let i = 0; i < this.ranges.length; i++) {
      const r = this.ranges[i];
      const buf = this.buffers[i];
      if (r === undefined || buf === undefined) continue;
      const s = Math.max(r.fileStart, chunkStart);
      const e = Math.min(r.fileEnd, chunkEnd);
      if (e > s) {
        buf.set(chunk.subarray(s - chunkStart, e - chunkStart), s - r.fileStart);
        this.filled[i] = (this.filled[i] ?? 0) + (e - s);
      }
      if (r.fileEnd > chunkEnd) pending = true;
    }
    if (!pending) this.phase = 'done';
  }

  private fail(r: CoreResult<never>): void {
    this.error = r;
  }

  /** The core as far as it was read; `cut` says the input stopped early (EOF or time budget). */
  finish(): CoreResult<CoreImage> {
    if (this.error !== undefined) return this.error;
    if (this.header === undefined) {
      return failResult(CoreErrorCodes.CRASH_ELF_HEADER, 'ELF header', `input ended after ${this.pos} bytes`);
    }
    if (this.notes === undefined) {
      // Input ended inside the prefix: use what notes we have.
      if (this.segments.length === 0) {
        return failResult(
          CoreErrorCodes.CRASH_ELF_SEGMENTS,
          'program headers',
          `input ended after ${this.pos} bytes`,
        );
      }
      const bytes = this.prefix();
      const all: Note[] = [];
      for (const p of this.segments) {
        if (p.type !== PT_NOTE) continue;
        const n = parseNotes(bytes.subarray(p.offset, Math.min(bytes.length, p.offset + p.filesz)));
        if (n.ok) all.push(...n.value);
      }
      this.notes = interpretNotes(all, this.limits.maxThreads);
      if (this.notes.threads.length === 0) {
        return failResult(
          CoreErrorCodes.CRASH_NO_THREADS,
          'NT_PRSTATUS',
          `input ended after ${this.pos} bytes`,
        );
      }
      return okResult({
        header: this.header,
        segments: this.segments,
        notes: this.notes,
        memory: new CoreMemory([]),
        incomplete: true,
      });
    }
    const chunks = this.ranges.map((r, i) => {
      const buf = this.buffers[i] ?? new Uint8Array(0);
      // Only the bytes that arrived are memory; a short core leaves the tail unknown.
      const got = Math.max(0, Math.min(buf.length, this.pos - r.fileStart));
      return { vaddr: r.vaddr, bytes: buf.subarray(0, got) };
    });
    const incomplete = this.phase !== 'done';
    return okResult({
      header: this.header,
      segments: this.segments,
      notes: this.notes,
      memory: new CoreMemory(chunks),
      incomplete,
    });
  }
}
