// DW_FORM attribute values (DWARF 5 §7.5.6), shared by the unit DIE reader
// and the DWARF 5 line table header. Strings resolve through .debug_str /
// .debug_line_str; forms carrying no value we use are skipped.
import { type Cursor, strAt } from './cursor.ts';

export interface FormStrings {
  readonly str?: Uint8Array | undefined;
  readonly lineStr?: Uint8Array | undefined;
}

export function readForm(
  u: Cursor,
  form: number,
  offSize: 4 | 8,
  addrSize: number,
  strings: FormStrings,
): number | string | undefined {
  const off = (): number => u.offset(offSize);
  switch (form) {
    case 0x01:
      return addrSize === 8 ? u.u64n() : u.u32();
    case 0x03:
      u.skip(u.u16());
      return undefined;
    case 0x04:
      u.skip(u.u32());
      return undefined;
    case 0x05:
      return u.u16();
    case 0x06:
      return u.u32();
    case 0x07:
      return u.u64n();
    case 0x08:
      return u.cstr();
    case 0x09:
    case 0x18:
      u.skip(u.ulebn());
      return undefined;
    case 0x0a:
      u.skip(u.u8());
      return undefined;
    case 0x0b:
    case 0x0c:
    case 0x11:
    case 0x25:
    case 0x29:
      return u.u8();
    case 0x0d:
      return u.slebn();
    case 0x0e:
      return strAt(strings.str ?? new Uint8Array(0), off());
    case 0x1f:
      return strAt(strings.lineStr ?? new Uint8Array(0), off());
    case 0x0f:
    case 0x15:
    case 0x1a:
    case 0x1b:
    case 0x22:
    case 0x23:
      return u.ulebn();
    case 0x10:
    case 0x17:
    case 0x1c:
    case 0x1d:
      return off();
    case 0x12:
    case 0x26:
    case 0x2a:
      return u.u16();
    case 0x13:
    case 0x28:
    case 0x2c:
      return u.u32();
    case 0x27:
    case 0x2b:
      u.skip(3);
      return undefined;
    case 0x14:
    case 0x20:
    case 0x24:
      return u.u64n();
    case 0x19:
    case 0x21:
      return undefined;
    case 0x1e:
      u.skip(16);
      return undefined;
    case 0x1f01:
    case 0x1f02:
      return u.ulebn();
    case 0x1f20:
    case 0x1f21:
      return off();
    default:
      throw new RangeError(`unknown DW_FORM 0x${form.toString(16)}`);
  }
}
