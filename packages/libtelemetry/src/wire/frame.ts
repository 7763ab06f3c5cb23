// The libtelemetry -> telemd socket frame (spec c-client.md 2.2, 2.3, 16.1).
//
//   u32le record_size | ["CFG:" path NUL] | u32le header_size | headers | payload | NUL
//
// record_size counts the whole frame. Legacy (pre-2.2.2) frames carried
// record_size - 9 instead. Integers are little-endian on the wire whatever the
// host (C used host order, BUG-1). Pure: no I/O.
import { ErrorCodes, fail, ok, type ParseResult } from '../errors.ts';
import {
  CFG_PREFIX,
  formatHeaderBlock,
  LEGACY_PREFIX_DELTA,
  MAX_FRAME_BYTES,
  MAX_PAYLOAD_BYTES,
  parseHeaderBlock,
  type RecordHeaders,
} from './headers.ts';
import { readCfgBlock } from './cfg-block.ts';

export { MAX_CFG_PATH_BYTES } from './cfg-block.ts';

export type Framing = 'v2' | 'legacy';

export interface FrameInput {
  readonly headers: RecordHeaders;
  readonly payload: Uint8Array;
  /** Absolute path of a per-record config file; adds the CFG: block. */
  readonly cfgPath?: string | undefined;
}

export interface DecodedFrame extends FrameInput {
  readonly framing: Framing;
  /** Bytes of the frame itself (the prefix-declared length). */
  readonly frameBytes: number;
  /** Bytes received after the frame, discarded as C does (spec 2.5). */
  readonly trailingBytes: number;
}

const CFG_BYTES = Buffer.from(CFG_PREFIX, 'latin1');

/** Encode a record exactly as C tm_send_record() does (framing v2 unless legacy). */
export function encodeFrame(input: FrameInput, options: { readonly framing?: Framing } = {}): Buffer {
  const header = Buffer.from(formatHeaderBlock(input.headers), 'latin1');
  const cfg =
    input.cfgPath === undefined
      ? Buffer.alloc(0)
      : Buffer.concat([CFG_BYTES, Buffer.from(input.cfgPath, 'utf8'), Buffer.from([0])]);
  const total = 4 + cfg.length + 4 + header.length + input.payload.length + 1;
  const out = Buffer.alloc(total);
  const prefix = options.framing === 'legacy' ? total - LEGACY_PREFIX_DELTA : total;
  out.writeUInt32LE(prefix, 0);
  let off = 4;
  off += cfg.copy(out, off);
  out.writeUInt32LE(header.length, off);
  off += 4;
  off += header.copy(out, off);
  off += Buffer.from(input.payload.buffer, input.payload.byteOffset, input.payload.byteLength).copy(out, off);
  out[off] = 0;
  return out;
}

function isPrefixPlausible(prefix: number): boolean {
  return prefix > 4 && prefix <= MAX_FRAME_BYTES;
}

/** Decode the bytes after the size prefix, up to and including the final NUL. */
function decodeBody(
  body: Buffer,
): ParseResult<Omit<DecodedFrame, 'framing' | 'frameBytes' | 'trailingBytes'>> {
  const end = body.length - 1; // index of the terminating NUL
  if (end < 0 || body[end] !== 0) return fail(ErrorCodes.TELEM_FRAME_NO_NUL, 'frame does not end with NUL');
  const cfg = readCfgBlock(body, { byte: 0, name: 'NUL' }, end);
  if (!cfg.ok) return fail(ErrorCodes.TELEM_FRAME_CFG, cfg.detail);
  const { cfgPath } = cfg;
  let off = cfg.next;
  if (off + 4 > end) return fail(ErrorCodes.TELEM_FRAME_HEADER_SIZE, 'frame ends before header_size');
  const headerSize = body.readUInt32LE(off);
  off += 4;
  if (headerSize === 0 || headerSize > end - off) {
    return fail(
      ErrorCodes.TELEM_FRAME_HEADER_SIZE,
      `header_size ${headerSize} exceeds the ${end - off} bytes left`,
    );
  }
  const payloadBytes = end - off - headerSize;
  if (payloadBytes > MAX_PAYLOAD_BYTES) {
    return fail(
      ErrorCodes.TELEM_FRAME_PAYLOAD_SIZE,
      `payload of ${payloadBytes} bytes exceeds ${MAX_PAYLOAD_BYTES}`,
    );
  }
  const headerBytes = body.subarray(off, off + headerSize);
  if (headerBytes.includes(0)) return fail(ErrorCodes.TELEM_FRAME_HEADERS, 'header block contains NUL');
  const parsed = parseHeaderBlock(headerBytes.toString('latin1'));
  if (!parsed.ok) return fail(ErrorCodes.TELEM_FRAME_HEADERS, parsed.detail);
  const payload = Buffer.from(body.subarray(off + headerSize, end));
  if (payload.includes(0)) return fail(ErrorCodes.TELEM_FRAME_PAYLOAD_NUL, 'payload contains NUL');
  return ok({ headers: parsed.headers, payload, cfgPath });
}

/**
 * Decode one complete frame from `bytes` (everything the client sent). Accepts
 * the current framing and the legacy one; bytes after the frame are ignored
 * and counted, as C discards them.
 */
export function decodeFrame(bytes: Uint8Array): ParseResult<DecodedFrame> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4) return fail(ErrorCodes.TELEM_FRAME_TOO_SHORT, `only ${buf.length} bytes received`);
  const prefix = buf.readUInt32LE(0);
  if (!isPrefixPlausible(prefix)) {
    return fail(ErrorCodes.TELEM_FRAME_SIZE, `record_size ${prefix} out of range 5..${MAX_FRAME_BYTES}`);
  }
  if (buf.length < prefix) {
    return fail(
      ErrorCodes.TELEM_FRAME_TRUNCATED,
      `record_size ${prefix} but only ${buf.length} bytes received`,
    );
  }
  const v2 = decodeBody(buf.subarray(4, prefix));
  if (v2.ok)
    return ok({ ...v2.value, framing: 'v2', frameBytes: prefix, trailingBytes: buf.length - prefix });
  const legacyLen = prefix + LEGACY_PREFIX_DELTA;
  if (buf.length >= legacyLen) {
    const legacy = decodeBody(buf.subarray(4, legacyLen));
    if (legacy.ok) {
      return ok({
        ...legacy.value,
        framing: 'legacy',
        frameBytes: legacyLen,
        trailingBytes: buf.length - legacyLen,
      });
    }
  }
  return v2;
}

export type FrameProgress =
  | { readonly state: 'more' }
  | { readonly state: 'complete' }
  | { readonly state: 'error'; readonly code: string; readonly detail: string };

/**
 * Incremental reassembly for one connection: frames split across writes are
 * joined (C drops them, BUG-2). Memory is bounded by the frame cap whatever
 * the client sends. Call push() per chunk, finish() at EOF or on 'complete'.
 */
export class FrameDecoder {
  #chunks: Buffer[] = [];
  #length = 0;
  #prefix = -1;
  #discarded = 0;
  #done = false;
  /** The v2 decode push() did to recognise the end of the frame; finish() reuses it. */
  #v2: DecodedFrame | undefined;

  get receivedBytes(): number {
    return this.#length + this.#discarded;
  }

  push(chunk: Uint8Array): FrameProgress {
    if (this.#done) {
      this.#discarded += chunk.byteLength;
      return { state: 'complete' };
    }
    const limit =
      this.#prefix < 0 ? MAX_FRAME_BYTES + LEGACY_PREFIX_DELTA : this.#prefix + LEGACY_PREFIX_DELTA;
    const room = limit - this.#length;
    const take = Math.min(room, chunk.byteLength);
    if (take > 0) {
      this.#chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, take));
      this.#length += take;
    }
    this.#discarded += chunk.byteLength - take;
    if (this.#prefix < 0 && this.#length >= 4) {
      const head = this.#collect();
      this.#prefix = head.readUInt32LE(0);
      if (!isPrefixPlausible(this.#prefix)) {
        this.#done = true;
        return {
          state: 'error',
          code: ErrorCodes.TELEM_FRAME_SIZE,
          detail: `record_size ${this.#prefix} out of range 5..${MAX_FRAME_BYTES}`,
        };
      }
    }
    if (this.#prefix < 0 || this.#length < this.#prefix) return { state: 'more' };
    const buf = this.#collect();
    // A v2 frame is complete at exactly `prefix` bytes ending in NUL; a legacy one needs 9 more.
    if (buf[this.#prefix - 1] === 0) {
      const v2 = decodeFrame(buf.subarray(0, this.#prefix));
      if (v2.ok) {
        this.#done = true;
        this.#v2 = v2.value;
        return { state: 'complete' };
      }
    }
    if (this.#length >= this.#prefix + LEGACY_PREFIX_DELTA) {
      this.#done = true;
      return { state: 'complete' };
    }
    return { state: 'more' };
  }

  /** Decode what was received (at EOF, or once push() said 'complete'). */
  finish(): ParseResult<DecodedFrame> {
    this.#done = true;
    if (this.#v2) {
      // What decodeFrame(everything received) returns: the same v2 frame, the rest trailing.
      const trailingBytes = this.#length - this.#v2.frameBytes + this.#discarded;
      return ok({ ...this.#v2, trailingBytes });
    }
    const result = decodeFrame(this.#collect());
    if (!result.ok) return result;
    return ok({ ...result.value, trailingBytes: result.value.trailingBytes + this.#discarded });
  }

  #collect(): Buffer {
    if (this.#chunks.length !== 1) this.#chunks = [Buffer.concat(this.#chunks, this.#length)];
    return this.#chunks[0] ?? Buffer.alloc(0);
  }
}
