// The optional CFG: block that opens both a socket frame (ended by NUL, spec 2.2)
// and a spool file (ended by LF, spec 7.2): "CFG:" + absolute config path +
// terminator. One reader for both, so the two formats cannot drift. Pure.
import { CFG_PREFIX } from './headers.ts';

/** Longest config path C accepts (PATH_MAX). */
export const MAX_CFG_PATH_BYTES = 4096;

const CFG_BYTES = Buffer.from(CFG_PREFIX, 'latin1');

export type CfgBlock =
  /** `next`: offset of the first byte after the block (0 when there is none). */
  | { readonly ok: true; readonly cfgPath: string | undefined; readonly next: number }
  | { readonly ok: false; readonly detail: string };

/**
 * Read a CFG: block at the start of `buf`, if there is one: its terminator must come before
 * `end`, the path must be 1..MAX_CFG_PATH_BYTES bytes and absolute. The caller adds its
 * format's code and any check of its own.
 */
export function readCfgBlock(
  buf: Buffer,
  terminator: { readonly byte: number; readonly name: string },
  end: number = buf.length,
): CfgBlock {
  if (buf.length < CFG_BYTES.length || !buf.subarray(0, CFG_BYTES.length).equals(CFG_BYTES)) {
    return { ok: true, cfgPath: undefined, next: 0 };
  }
  const stop = buf.indexOf(terminator.byte, CFG_BYTES.length);
  if (stop < 0 || stop >= end)
    return { ok: false, detail: `CFG: block has no ${terminator.name} terminator` };
  const len = stop - CFG_BYTES.length;
  if (len === 0 || len > MAX_CFG_PATH_BYTES) {
    return { ok: false, detail: `CFG: path length ${len} out of range 1..${MAX_CFG_PATH_BYTES}` };
  }
  const cfgPath = buf.toString('utf8', CFG_BYTES.length, stop);
  if (!cfgPath.startsWith('/')) return { ok: false, detail: 'CFG: path is not absolute' };
  return { ok: true, cfgPath, next: stop + 1 };
}
