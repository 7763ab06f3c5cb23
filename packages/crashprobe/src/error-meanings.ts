// What each crashprobe error code means, for people: docs/error-codes.md is generated from this
// table (scripts/gen-docs.mjs). The Record type makes a new code without a meaning a type error.
import type { CoreErrorCode } from './errors.ts';

export const CRASH_ERROR_MEANINGS: Readonly<Record<CoreErrorCode, string>> = {
  CRASH_ELF_HEADER: "the core's or a module's ELF header is unusable (not ELF64-LE x86_64, truncated)",
  CRASH_ELF_SEGMENTS: 'program headers unreadable or out of bounds',
  CRASH_ELF_SECTIONS: 'section headers or a section unreadable (also a bad compressed section)',
  CRASH_ELF_NOTES: "the core's notes (`NT_PRSTATUS`, `NT_FILE`, ...) are malformed",
  CRASH_ELF_SYMBOLS: 'a symbol table is malformed or over its cap',
  CRASH_NO_THREADS: 'the core has no thread (no `NT_PRSTATUS`)',
  CRASH_DWARF_CFI: '`.eh_frame`/`.debug_frame` unwinding information is malformed',
  CRASH_DWARF_LINE: '`.debug_line` is malformed',
  CRASH_DWARF_INFO: '`.debug_info` unit header is malformed',
  CRASH_CORE_READ: 'the core cannot be read (I/O error on the pipe or file)',
  CRASH_TIME_BUDGET: 'the core input stalled past the time budget',
  CRASH_PRIVILEGES: 'the `telemetry` user is missing (fallback to nobody) or privileges cannot be dropped',
};
