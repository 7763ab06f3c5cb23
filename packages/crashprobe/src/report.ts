// The crash payload text the backend parses (spec c-client 12.2, collector 8):
// a header (Process, PID, Signal, notes), then per thread a blank line,
// `Backtrace (TID n):` and the frame lines, crashing thread first. Also the
// privacy-filter decision and the payload cap. Pure.

/** spec 3.4 / libtelemetry MAX_PAYLOAD_BYTES. */
export const MAX_PAYLOAD_BYTES = 8192;
/** C's FRAMES_MAX: at this many frames every remaining thread is skipped (BUG-43, kept). */
export const FRAMES_MAX = 64;

export const TRUNCATED_FRAMES_NOTE = 'Too many frames. Backtrace truncated.\n';
export const TRUNCATED_SIZE_NOTE = 'Payload too large. Backtrace truncated.\n';
export const TIME_BUDGET_NOTE = 'Time budget exceeded. Backtrace truncated.\n';

export const Classes = {
  clr: { classification: 'org.clearlinux/crash/clr', severity: 3 },
  unknown: { classification: 'org.clearlinux/crash/unknown', severity: 2 },
  clrBuild: { classification: 'org.clearlinux/crash/clr-build', severity: 2 },
  error: { classification: 'org.clearlinux/crash/error', severity: 4 },
} as const;
export type CrashClass = (typeof Classes)[keyof typeof Classes];

export const THIRD_PARTY_PAYLOAD = 'Crash from third party\n';
export const CLR_BUILD_PAYLOAD = 'Crash from Clear package build\n';

/** C's privacy filter on the -E path (with `!` or `/` separators); undefined = analyse the core. */
export function privacyFilter(
  processPath: string | undefined,
  overridden: boolean,
): { cls: CrashClass; payload: string } | undefined {
  if (processPath === undefined || overridden) return undefined;
  if (processPath.startsWith('/builddir/build/BUILD/') || processPath.startsWith('!builddir!build!BUILD!')) {
    return { cls: Classes.clrBuild, payload: CLR_BUILD_PAYLOAD };
  }
  const usr = processPath.startsWith('/usr/') || processPath.startsWith('!usr!');
  const local = processPath.startsWith('/usr/local/') || processPath.startsWith('!usr!local!');
  if (!usr || local) return { cls: Classes.unknown, payload: THIRD_PARTY_PAYLOAD };
  return undefined;
}

export interface HeaderFields {
  readonly processName: string;
  readonly processPath: string | undefined;
  readonly pid: number;
  readonly signal: number | undefined;
}

export function headerText(h: HeaderFields): string {
  const proc = h.processPath !== undefined ? h.processPath.replaceAll('!', '/') : h.processName;
  let s = `Process: ${proc}\nPID: ${h.pid}\n`;
  if (h.signal !== undefined && h.signal >= 0) s += `Signal: ${h.signal}\n`;
  return s;
}

export interface ThreadBlock {
  readonly tid: number;
  readonly lines: readonly string[];
}

/**
 * header + notes + thread blocks, capped at `maxBytes`: when too long, whole
 * frame lines are dropped from the end and TRUNCATED_SIZE_NOTE joins the
 * header notes, so the backend still parses every line it gets.
 */
export function assemblePayload(
  header: string,
  notes: readonly string[],
  threads: readonly ThreadBlock[],
  maxBytes = MAX_PAYLOAD_BYTES,
): string {
  const blocks = threads.map((t) => ({ head: `\nBacktrace (TID ${t.tid}):\n`, lines: t.lines }));
  const size = (s: string): number => Buffer.byteLength(s, 'latin1');
  const full = header + notes.join('') + blocks.map((b) => b.head + b.lines.join('')).join('');
  if (size(full) <= maxBytes) return full;
  let out = header + notes.join('') + TRUNCATED_SIZE_NOTE;
  let used = size(out);
  if (used > maxBytes) return out.slice(0, maxBytes);
  for (const b of blocks) {
    const h = size(b.head);
    if (used + h > maxBytes) break;
    out += b.head;
    used += h;
    for (const line of b.lines) {
      const n = size(line);
      if (used + n > maxBytes) return out;
      out += line;
      used += n;
    }
  }
  return out;
}
