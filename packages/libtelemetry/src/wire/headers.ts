// Record Format Version 4 headers: names, order and the `name: value\n` line
// format of the C libtelemetry (spec c-client.md 3.1).

export const RECORD_FORMAT_VERSION = 4;

/** The 15 header names in wire order (C src/common.h TM_*_STR, indices 0..14). */
export const HEADER_NAMES = [
  'record_format_version',
  'classification',
  'severity',
  'machine_id',
  'creation_timestamp',
  'arch',
  'host_type',
  'build',
  'kernel_version',
  'payload_format_version',
  'system_name',
  'board_name',
  'cpu_model',
  'bios_version',
  'event_id',
] as const;

export type HeaderName = (typeof HEADER_NAMES)[number];
export const HEADER_COUNT = HEADER_NAMES.length;

/** Header values by name. Values are raw strings (bytes as latin1, 1:1). */
export type RecordHeaders = { readonly [K in HeaderName]: string };

/** Placeholder machine id the library sends; the daemon replaces it (spec 3.1). */
export const MACHINE_ID_PLACEHOLDER = 'FFFFFFFF';

/** Payload cap of the C library (MAX_PAYLOAD_LENGTH, spec 2.4). */
export const MAX_PAYLOAD_BYTES = 8192;
/** Daemon frame cap: 2*4 + 4 + PATH_MAX(4096) + 8192 + 15*80 (spec 2.4). */
export const MAX_FRAME_BYTES = 13500;
/** Legacy (pre-2.2.2) frames are 9 bytes longer than their prefix says (spec 2.3). */
export const LEGACY_PREFIX_DELTA = 9;
/** "CFG:" read as a little-endian u32 (spec 2.2). */
export const CFG_PREFIX = 'CFG:';
export const EVENT_ID_LENGTH = 32;
export const MAX_CLASSIFICATION_LENGTH = 122;
export const MAX_CLASSIFICATION_SEGMENT = 40;

/** `name: value\n` for each header in order, as C set_header() builds it. */
export function formatHeaderBlock(headers: RecordHeaders): string {
  let out = '';
  for (const name of HEADER_NAMES) out += `${name}: ${headers[name]}\n`;
  return out;
}

export type HeaderBlockResult =
  | { readonly ok: true; readonly headers: RecordHeaders }
  | { readonly ok: false; readonly detail: string };

const HEADER_PREFIXES: readonly string[] = HEADER_NAMES.map((name) => `${name}: `);

/**
 * Strict parse of a header block: exactly 15 lines, exact names in order,
 * `name: value` with one space (values kept whole, spaces included). Empty
 * values are allowed here; whether they are acceptable is a policy decision
 * of the caller (telemd refills host-derived ones). C only prefix-matched
 * names (BUG-8); we do not.
 */
export function parseHeaderBlock(text: string): HeaderBlockResult {
  if (!text.endsWith('\n')) return { ok: false, detail: 'header block does not end with a newline' };
  // One pass over the lines without split(): this runs for every record telemd reads.
  const out: Record<string, string> = {};
  let start = 0;
  for (let i = 0; i < HEADER_COUNT; i++) {
    const nl = start < text.length ? text.indexOf('\n', start) : -1;
    if (nl < 0) return lineCountError(text);
    const prefix = HEADER_PREFIXES[i]!;
    const name = HEADER_NAMES[i]!;
    if (text.startsWith(prefix, start)) out[name] = text.slice(start + prefix.length, nl);
    // An empty value may have lost its trailing space in hand-made frames; C emits `name: `.
    else if (nl - start === name.length + 1 && text.startsWith(name, start) && text[nl - 1] === ':') {
      out[name] = '';
    } else if (countLines(text) !== HEADER_COUNT) return lineCountError(text);
    else return { ok: false, detail: `header line ${i + 1} is not "${name}: <value>"` };
    start = nl + 1;
  }
  if (start !== text.length) return lineCountError(text);
  return { ok: true, headers: out as RecordHeaders };
}

function countLines(text: string): number {
  let lines = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}

/** A block of other than HEADER_COUNT lines (reported before any line's content, as before). */
function lineCountError(text: string): HeaderBlockResult {
  return { ok: false, detail: `expected ${HEADER_COUNT} header lines, got ${countLines(text)}` };
}
