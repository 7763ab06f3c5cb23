// Bounds-checked little-endian reader over untrusted bytes. A read past the end
// throws OutOfBounds, which the reader entry points convert with guard(): the
// bytes can never make a reader crash or read outside its buffer.
import { OutOfBounds } from '../errors.ts';

export class Cursor {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  pos: number;
  readonly end: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
    this.end = Math.min(end, bytes.length);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): number {
    if (n < 0 || this.pos < 0 || this.pos + n > this.end) {
      throw new OutOfBounds(`read of ${n} bytes at ${this.pos} past end ${this.end}`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  seek(pos: number): void {
    if (pos < 0 || pos > this.end) throw new OutOfBounds(`seek to ${pos} outside 0..${this.end}`);
    this.pos = pos;
  }

  skip(n: number): void {
    this.need(n);
  }

  u8(): number {
    return this.view.getUint8(this.need(1));
  }
  i8(): number {
    return this.view.getInt8(this.need(1));
  }
  u16(): number {
    return this.view.getUint16(this.need(2), true);
  }
  i16(): number {
    return this.view.getInt16(this.need(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.need(4), true);
  }
  i32(): number {
    return this.view.getInt32(this.need(4), true);
  }
  u64(): bigint {
    return this.view.getBigUint64(this.need(8), true);
  }
  i64(): bigint {
    return this.view.getBigInt64(this.need(8), true);
  }

  /** A u64 used as a size or offset: values past 2^53 are clamped so later bounds checks fail. */
  u64n(): number {
    const v = this.u64();
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  }

  uleb(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.u8();
      if (shift < 64n) result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) break;
    }
    return BigInt.asUintN(64, result);
  }

  sleb(): bigint {
    let result = 0n;
    let shift = 0n;
    let b = 0;
    for (;;) {
      b = this.u8();
      if (shift < 64n) result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) break;
    }
    if (shift < 64n && (b & 0x40) !== 0) result |= -(1n << shift);
    return BigInt.asIntN(64, result);
  }

  /** ULEB128 as a number (counts, indexes); huge values clamp and fail later bounds checks. */
  ulebn(): number {
    const v = this.uleb();
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  }

  slebn(): number {
    return Number(this.sleb());
  }

  /** DWARF initial length (§7.4): a u32, or 0xffffffff then a u64 (64-bit DWARF, 8-byte offsets). */
  unitLength(): { length: number; offsetSize: 4 | 8 } {
    const short = this.u32();
    return short === 0xffffffff ? { length: this.u64n(), offsetSize: 8 } : { length: short, offsetSize: 4 };
  }

  /** A section offset of the unit's offset size. */
  offset(size: 4 | 8): number {
    return size === 8 ? this.u64n() : this.u32();
  }

  take(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }

  /** NUL-terminated string (latin1, as C prints bytes). */
  cstr(): string {
    const start = this.pos;
    let i = start;
    while (i < this.end && this.bytes[i] !== 0) i++;
    if (i >= this.end) throw new OutOfBounds(`unterminated string at ${start}`);
    this.pos = i + 1;
    return latin1(this.bytes, start, i);
  }
}

export function latin1(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i += 4096) {
    s += String.fromCharCode(...bytes.subarray(i, Math.min(end, i + 4096)));
  }
  return s;
}

/** NUL-terminated string at an offset of a string table; undefined when out of range. */
export function strAt(table: Uint8Array, offset: number): string | undefined {
  if (offset < 0 || offset >= table.length) return undefined;
  let i = offset;
  while (i < table.length && table[i] !== 0) i++;
  if (i >= table.length) return undefined;
  return latin1(table, offset, i);
}
