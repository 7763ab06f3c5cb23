// Every crashprobe error code, registered once. Codes are permanent; messages
// may change. Cores are untrusted input: readers return CoreResult values with
// the section that failed instead of throwing.
export const CoreErrorCodes = {
  CRASH_ELF_HEADER: 'CRASH_ELF_HEADER',
  CRASH_ELF_SEGMENTS: 'CRASH_ELF_SEGMENTS',
  CRASH_ELF_SECTIONS: 'CRASH_ELF_SECTIONS',
  CRASH_ELF_NOTES: 'CRASH_ELF_NOTES',
  CRASH_ELF_SYMBOLS: 'CRASH_ELF_SYMBOLS',
  CRASH_NO_THREADS: 'CRASH_NO_THREADS',
  CRASH_DWARF_CFI: 'CRASH_DWARF_CFI',
  CRASH_DWARF_LINE: 'CRASH_DWARF_LINE',
  CRASH_DWARF_INFO: 'CRASH_DWARF_INFO',
  CRASH_CORE_READ: 'CRASH_CORE_READ',
  CRASH_TIME_BUDGET: 'CRASH_TIME_BUDGET',
  CRASH_PRIVILEGES: 'CRASH_PRIVILEGES',
} as const;

export type CoreErrorCode = (typeof CoreErrorCodes)[keyof typeof CoreErrorCodes];

export class CoreError extends Error {
  readonly code: CoreErrorCode;
  /** Which part of the input was being read (e.g. `program headers`, `.eh_frame`). */
  readonly section: string;
  constructor(code: CoreErrorCode, section: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CoreError';
    this.code = code;
    this.section = section;
  }
}

export type CoreResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: CoreErrorCode; readonly section: string; readonly detail: string };

export function okResult<T>(value: T): CoreResult<T> {
  return { ok: true, value };
}

export function failResult<T = never>(code: CoreErrorCode, section: string, detail: string): CoreResult<T> {
  return { ok: false, code, section, detail };
}

/**
 * Runs a reader that may hit the end of its bytes (a Cursor throws an
 * OutOfBounds internally) and turns any such failure into a CoreResult, so no
 * hostile byte sequence escapes a reader as an exception.
 */
export function guard<T>(code: CoreErrorCode, section: string, read: () => T): CoreResult<T> {
  try {
    return okResult(read());
  } catch (err) {
    if (err instanceof CoreError) return failResult(err.code, err.section, err.message);
    if (err instanceof RangeError || err instanceof OutOfBounds) {
      return failResult(code, section, err.message);
    }
    throw err;
  }
}

/** Internal signal of a Cursor read past its end; never leaves a reader (see guard). */
export class OutOfBounds extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutOfBounds';
  }
}
