// The v3 JSON request of C 2.4 (spec 6.4, vectors http/v2.4.3-*): one compact
// object, keys in header order then "payload", every value a string, escaped
// byte for byte as json-c with JSON_C_TO_STRING_NOSLASHESCAPE does. Deliberate
// differences from C: values are whole, not cut at the first space (BUG-15),
// and the payload has no extra trailing `\n` (BUG-18). Pure.
import { HEADER_NAMES } from '@telemetrics/libtelemetry/wire';
import type { TelemRecord } from '../record.ts';
import type { WireRequest } from './request-v2.ts';
import type { HeaderPair } from './tid-header.ts';

const SHORT_ESCAPES: Readonly<Record<number, string>> = {
  8: '\\b',
  9: '\\t',
  10: '\\n',
  12: '\\f',
  13: '\\r',
  34: '\\"',
  92: '\\\\',
};

/** json-c string escaping over raw bytes: bytes >= 0x20 pass through (no UTF-8 check, `/` kept). */
export function escapeJsonCString(bytes: Uint8Array): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b >= 0x20 && b !== 0x22 && b !== 0x5c) continue;
    if (i > start) parts.push(Buffer.from(bytes.subarray(start, i)));
    const short = SHORT_ESCAPES[b];
    parts.push(Buffer.from(short ?? `\\u00${b.toString(16).padStart(2, '0')}`, 'latin1'));
    start = i + 1;
  }
  if (start < bytes.length) parts.push(Buffer.from(bytes.subarray(start)));
  return Buffer.concat(parts);
}

export function buildV3Body(record: TelemRecord): Buffer {
  const parts: Buffer[] = [Buffer.from('{', 'latin1')];
  for (const name of HEADER_NAMES) {
    parts.push(Buffer.from(`"${name}":"`, 'latin1'));
    parts.push(escapeJsonCString(Buffer.from(record.headers[name], 'latin1')));
    parts.push(Buffer.from('",', 'latin1'));
  }
  parts.push(
    Buffer.from('"payload":"', 'latin1'),
    escapeJsonCString(record.payload),
    Buffer.from('"}', 'latin1'),
  );
  return Buffer.concat(parts);
}

export function buildV3Request(record: TelemRecord, tid: HeaderPair | undefined): WireRequest {
  const headers: HeaderPair[] = [];
  if (tid) headers.push(tid);
  headers.push({ name: 'Content-Type', value: 'application/json' });
  return { headers, body: buildV3Body(record) };
}

/** server_api=auto: v3 iff the URL path ends with /v3/collector (DESIGN "Contracts" 3). */
export function chooseApi(api: 'v2' | 'v3' | 'auto', serverUrl: string): 'v2' | 'v3' {
  if (api !== 'auto') return api;
  let pathname: string;
  try {
    pathname = new URL(serverUrl).pathname;
  } catch {
    return 'v2';
  }
  return /\/v3\/collector\/?$/.test(pathname) ? 'v3' : 'v2';
}
