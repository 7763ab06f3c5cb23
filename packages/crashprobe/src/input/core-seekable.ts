// A core in a regular file (-c, or stdin redirected from a file) is read by
// position: headers, then the notes wherever they are (gdb's gcore writes them
// after the memory segments, the kernel before), then only the planned ranges.
// Pure: the bytes come through a ByteSource.
import {
  type CoreImage,
  type CoreLimits,
  CoreMemory,
  checkCoreHeader,
  interpretNotes,
  planCore,
} from '../elf/core.ts';
import { ELF_HEADER_BYTES, parseElfHeader } from '../elf/header.ts';
import type { ByteSource } from '../elf/image.ts';
import { type Note, parseNotes } from '../elf/notes.ts';
import { PT_NOTE, parseProgramHeaders } from '../elf/segments.ts';
import { type CoreResult, CoreErrorCodes, failResult, okResult } from '../errors.ts';
import { MAX_PREFIX_BYTES } from './core-assembler.ts';

export function readCoreSeekable(source: ByteSource, limits: CoreLimits): CoreResult<CoreImage> {
  const h = parseElfHeader(source.read(0, ELF_HEADER_BYTES));
  if (!h.ok) return h;
  const c = checkCoreHeader(h.value);
  if (!c.ok) return c;
  const header = h.value;
  const phBytes = header.phnum * header.phentsize;
  if (phBytes > MAX_PREFIX_BYTES) {
    return failResult(CoreErrorCodes.CRASH_ELF_SEGMENTS, 'program headers', `${phBytes} bytes`);
  }
  const ph = parseProgramHeaders(header, source.read(header.phoff, phBytes), header.phoff);
  if (!ph.ok) return ph;
  const all: Note[] = [];
  let noteBytes = 0;
  for (const p of ph.value) {
    if (p.type !== PT_NOTE) continue;
    noteBytes += p.filesz;
    if (noteBytes > MAX_PREFIX_BYTES) {
      return failResult(CoreErrorCodes.CRASH_ELF_NOTES, 'PT_NOTE', `${noteBytes} bytes of notes`);
    }
    const n = parseNotes(source.read(p.offset, p.filesz));
    if (n.ok) all.push(...n.value);
  }
  const notes = interpretNotes(all, limits.maxThreads);
  if (notes.threads.length === 0) {
    return failResult(CoreErrorCodes.CRASH_NO_THREADS, 'NT_PRSTATUS', 'the core has no thread status note');
  }
  let incomplete = false;
  const chunks = planCore(ph.value, notes, limits).map((r) => {
    const bytes = source.read(r.fileStart, r.fileEnd - r.fileStart);
    if (bytes.length < r.fileEnd - r.fileStart) incomplete = true;
    return { vaddr: r.vaddr, bytes };
  });
  return okResult({ header, segments: ph.value, notes, memory: new CoreMemory(chunks), incomplete });
}
