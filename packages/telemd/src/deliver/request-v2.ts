// The v2 "headers" API request (spec 6.5, vectors http/v2.3.5-*): the 15
// record lines as HTTP headers spelled as C sends them (`record_format_version:
// 4`, underscores, values verbatim), then the TID header, then
// `Content-Type: application/text`; the body is the raw payload. Unlike C's
// spooled path the body has no extra `\n` (BUG-18). Pure.
import { HEADER_NAMES } from '@telemetrics/libtelemetry/wire';
import type { TelemRecord } from '../record.ts';
import type { HeaderPair } from './tid-header.ts';

export interface WireRequest {
  /** In send order; Host and Content-Length are added by the HTTP client. */
  readonly headers: readonly HeaderPair[];
  readonly body: Buffer;
}

export function buildV2Request(record: TelemRecord, tid: HeaderPair | undefined): WireRequest {
  const headers: HeaderPair[] = HEADER_NAMES.map((name) => ({ name, value: record.headers[name] }));
  if (tid) headers.push(tid);
  headers.push({ name: 'Content-Type', value: 'application/text' });
  return { headers, body: record.payload };
}
