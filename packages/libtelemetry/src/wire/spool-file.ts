// The spool file format shared with the C daemons (spec c-client.md 7.2):
//
//   ["CFG:" path LF] | 15 `name: value` LF lines | payload | LF
//
// telemprobd appends ONE extra LF after the payload and the C reader kept it,
// so the server received payload + LF (BUG-18). We write the same bytes (a C
// telempostd sharing the spool reads our files) and strip exactly that one LF
// when reading. Pure: no I/O.
import { ErrorCodes, fail, ok, type ParseResult } from '../errors.ts';
import {
  CFG_PREFIX,
  formatHeaderBlock,
  HEADER_COUNT,
  MAX_PAYLOAD_BYTES,
  parseHeaderBlock,
} from './headers.ts';
import type { FrameInput } from './frame.ts';
import { MAX_CFG_PATH_BYTES, readCfgBlock } from './cfg-block.ts';

export type SpoolRecord = FrameInput;
/** What decodeSpoolFile returns: the payload as a Buffer of its own (not a view of the file). */
export interface DecodedSpoolRecord extends SpoolRecord {
  readonly payload: Buffer;
}

const LF = 0x0a;
const CFG_BYTES = Buffer.from(CFG_PREFIX, 'latin1');

/**
 * Longest spool file a reader needs to load: CFG line (PATH_MAX) + 15 header
 * lines of at most PATH_MAX each (C's fgets buffer) + payload + LF. Anything
 * longer was not written by a C or TS daemon; readers refuse it unread.
 */
export const MAX_SPOOL_FILE_BYTES = 4 + MAX_CFG_PATH_BYTES + 1 + HEADER_COUNT * 4096 + MAX_PAYLOAD_BYTES + 1;

/** Encode a record as C stage_record() writes it. */
export function encodeSpoolFile(record: SpoolRecord): Buffer {
  // One allocation: telemd encodes every record it accepts.
  const headers = formatHeaderBlock(record.headers);
  const cfg = record.cfgPath;
  const cfgBytes = cfg === undefined ? 0 : CFG_BYTES.length + Buffer.byteLength(cfg, 'utf8') + 1;
  const p = record.payload;
  const out = Buffer.allocUnsafe(cfgBytes + headers.length + p.byteLength + 1);
  let off = 0;
  if (cfg !== undefined) {
    off += CFG_BYTES.copy(out, off);
    off += out.write(cfg, off, 'utf8');
    out[off++] = LF;
  }
  off += out.write(headers, off, 'latin1');
  out.set(p, off);
  off += p.byteLength;
  out[off] = LF;
  return out;
}

/** Size in bytes of encodeSpoolFile(record), without building it. */
export function spoolFileSize(record: SpoolRecord): number {
  const cfg = record.cfgPath === undefined ? 0 : 4 + Buffer.byteLength(record.cfgPath, 'utf8') + 1;
  return cfg + Buffer.byteLength(formatHeaderBlock(record.headers), 'latin1') + record.payload.byteLength + 1;
}

/**
 * Decode a spool file. Stricter than C's read_record() (which prefix-matched
 * names and kept the trailing LF): exact `name: value` lines, a CFG path that
 * is absolute, the final LF required (a file without it is truncated) and
 * removed, payload at most MAX_PAYLOAD_BYTES. Never throws.
 */
export function decodeSpoolFile(bytes: Uint8Array): ParseResult<DecodedSpoolRecord> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length === 0) return fail(ErrorCodes.TELEM_SPOOL_FORMAT, 'empty file');
  if (buf.length > MAX_SPOOL_FILE_BYTES) {
    return fail(ErrorCodes.TELEM_SPOOL_FORMAT, `file of ${buf.length} bytes exceeds ${MAX_SPOOL_FILE_BYTES}`);
  }
  const cfg = readCfgBlock(buf, { byte: LF, name: 'newline' });
  if (!cfg.ok) return fail(ErrorCodes.TELEM_SPOOL_FORMAT, cfg.detail);
  const { cfgPath } = cfg;
  let off = cfg.next;
  if (cfgPath !== undefined) {
    // A line (unlike a frame's NUL-ended block) can hold a NUL.
    if (cfgPath.includes('\0')) return fail(ErrorCodes.TELEM_SPOOL_FORMAT, 'CFG: path contains NUL');
    // Paths travel as UTF-8 (as in frames); invalid sequences would not survive a rewrite.
    if (Buffer.byteLength(cfgPath, 'utf8') !== off - 1 - CFG_PREFIX.length) {
      return fail(ErrorCodes.TELEM_SPOOL_FORMAT, 'CFG: path is not valid UTF-8');
    }
  }
  const headerStart = off;
  for (let i = 0; i < HEADER_COUNT; i++) {
    const nl = buf.indexOf(LF, off);
    if (nl < 0) {
      return fail(ErrorCodes.TELEM_SPOOL_FORMAT, `file ends inside header line ${i + 1} of ${HEADER_COUNT}`);
    }
    off = nl + 1;
  }
  const headerBytes = buf.subarray(headerStart, off);
  if (headerBytes.includes(0)) return fail(ErrorCodes.TELEM_SPOOL_FORMAT, 'header block contains NUL');
  const parsed = parseHeaderBlock(headerBytes.toString('latin1'));
  if (!parsed.ok) return fail(ErrorCodes.TELEM_SPOOL_FORMAT, parsed.detail);
  if (off >= buf.length || buf[buf.length - 1] !== LF) {
    return fail(ErrorCodes.TELEM_SPOOL_FORMAT, 'payload does not end with the staging newline (truncated?)');
  }
  const payloadBytes = buf.length - 1 - off;
  if (payloadBytes > MAX_PAYLOAD_BYTES) {
    return fail(
      ErrorCodes.TELEM_SPOOL_FORMAT,
      `payload of ${payloadBytes} bytes exceeds ${MAX_PAYLOAD_BYTES}`,
    );
  }
  const payload = Buffer.from(buf.subarray(off, buf.length - 1));
  return ok({ headers: parsed.headers, payload, cfgPath });
}
