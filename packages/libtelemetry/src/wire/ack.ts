// The acknowledgement telemd writes back on a probe connection (docs/intake.md,
// "The wire signal"). C's daemon never writes and C probes never read (spec
// c-client.md 2.1), so the signal is additive and both sides stay compatible:
//
//   daemon, at accept, before reading:  "TELEMD/1\n"              (greeting)
//   daemon, once the record's fate is known, then close:
//                                       "OK\n"                     (durable or delivered)
//                                       "NO <TELEM_CODE> <detail>\n"  (refused, with the reason)
//
// A probe that reads nothing before the close (the C daemon) has been served
// as C serves it. A probe that read the greeting but no answer has NOT been
// acknowledged: telemd died or gave up between reading the frame and keeping
// the record. The greeting is what tells those two plain closes apart. [pure]

export const ACK_GREETING = 'TELEMD/1\n';
/** The whole reply is small; a reader stops collecting past this (a hostile peer cannot grow it). */
export const MAX_REPLY_BYTES = 512;
const MAX_DETAIL_CHARS = 200;

/** The refusal codes telemd sends; the SDK rejects with the same code (errors.ts). */
export const RefusalCodes = {
  /** spool_max_size reached and the record could not be delivered at once. */
  TELEM_SPOOL_FULL: 'TELEM_SPOOL_FULL',
  /** The spool's file system is full (ENOSPC, EDQUOT). */
  TELEM_DISK_FULL: 'TELEM_DISK_FULL',
  /** Any other write or fsync failure of the spool (EIO, EROFS, ...), or telemd is stopping. */
  TELEM_SPOOL_IO: 'TELEM_SPOOL_IO',
  /** rate_limit_strategy=drop and the rate limit is reached. */
  TELEM_RATE_LIMITED: 'TELEM_RATE_LIMITED',
  /** Too many open connections: this one was shed. */
  TELEM_SHED: 'TELEM_SHED',
  /** The frame could not be decoded, or its headers were refused. */
  TELEM_INVALID_FRAME: 'TELEM_INVALID_FRAME',
} as const;
export type RefusalCode = (typeof RefusalCodes)[keyof typeof RefusalCodes];

/** Whether a daemon's refusal code is one this SDK knows (a newer daemon may send others). */
export function isRefusalCode(code: string): code is RefusalCode {
  return Object.hasOwn(RefusalCodes, code);
}

export type AckAnswer =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: string; readonly detail: string };

const GREETING_BYTES = Buffer.from(ACK_GREETING, 'latin1');
const OK_BYTES = Buffer.from('OK\n', 'latin1');

export function encodeGreeting(): Buffer {
  return GREETING_BYTES;
}

/** The answer line; the detail is cut and kept on one printable line. */
export function encodeAnswer(answer: AckAnswer): Buffer {
  if (answer.ok) return OK_BYTES;
  const detail = answer.detail.replace(/[^\x20-\x7e]/g, ' ').slice(0, MAX_DETAIL_CHARS);
  return Buffer.from(`NO ${answer.code} ${detail}\n`, 'latin1');
}

export type Reply =
  /** Nothing was written: a daemon that does not acknowledge (C's telemprobd). */
  | { readonly kind: 'silent' }
  /** Greeted, no complete answer: the record's fate is unknown. */
  | { readonly kind: 'unacknowledged' }
  | { readonly kind: 'answered'; readonly answer: AckAnswer }
  /** Bytes that are not this protocol. */
  | { readonly kind: 'garbled'; readonly detail: string };

/** Interpret everything the daemon wrote before it closed. */
export function parseReply(bytes: Uint8Array): Reply {
  if (bytes.length === 0) return { kind: 'silent' };
  const text = Buffer.from(bytes).toString('latin1');
  if (!text.startsWith(ACK_GREETING)) {
    return ACK_GREETING.startsWith(text)
      ? { kind: 'unacknowledged' }
      : { kind: 'garbled', detail: `unexpected reply ${JSON.stringify(text.slice(0, 40))}` };
  }
  const rest = text.slice(ACK_GREETING.length);
  const end = rest.indexOf('\n');
  if (end < 0) return { kind: 'unacknowledged' };
  const line = rest.slice(0, end);
  if (line === 'OK') return { kind: 'answered', answer: { ok: true } };
  const m = /^NO (TELEM_[A-Z_]+)(?: (.*))?$/.exec(line);
  if (!m) return { kind: 'garbled', detail: `unexpected answer ${JSON.stringify(line.slice(0, 40))}` };
  return { kind: 'answered', answer: { ok: false, code: m[1]!, detail: m[2] ?? '' } };
}
