// The batch ingestion contract with our collector (docs/delivery.md, "Batched delivery";
// version 1 of the contract agreed with the collector): the advertisement header, the request
// body and the per-record results. Pure: no I/O, the caller posts and reads.
//
//   advert   X-Telemetrics-Batch: /v2/collector/batch; max-records=500; max-bytes=4194304
//   request  POST <path>, JSON {"records":[{"id","headers":{<canonical name>: value},"payload"}]}
//   answer   200 {"results":[{"id","status":201,"record_id"} | {"id","status":400,"message"}]}
import { isUtf8 } from 'node:buffer';
import { HEADER_NAMES, type HeaderName } from '@telemetrics/libtelemetry/wire';
import type { TelemRecord } from '../record.ts';
import type { DeliveryOutcome } from './sink.ts';

export const BATCH_ADVERT_HEADER = 'x-telemetrics-batch';
/** Our own ceilings, whatever a server advertises: bounded memory per request and per answer. */
export const BATCH_MAX_RECORDS = 1000;
export const BATCH_MAX_BYTES = 8 * 1024 * 1024;
/** When the advert names no bound (the contract always does; be modest with one that does not). */
const DEFAULT_RECORDS = 100;
const DEFAULT_BYTES = 1024 * 1024;
/** `id` is opaque to the collector, at most 128 characters (a spool file name is 16). */
export const BATCH_ID_MAX = 128;

export interface BatchAdvert {
  /** Absolute path on the same origin as the server URL. */
  readonly path: string;
  readonly maxRecords: number;
  readonly maxBytes: number;
}

function bound(value: string | undefined, fallback: number, ceiling: number): number {
  if (value === undefined || !/^\d{1,12}$/.test(value)) return fallback;
  const n = Number(value);
  return n < 1 ? fallback : Math.min(n, ceiling);
}

/**
 * `/v2/collector/batch; max-records=500; max-bytes=4194304` -> advert. The path comes first;
 * parameters in any order, unknown ones ignored. Only a same-origin absolute path is taken (an
 * advert never sends records to another host); anything else is undefined (no batching).
 */
export function parseBatchAdvert(value: string | undefined): BatchAdvert | undefined {
  if (value === undefined) return undefined;
  const [first, ...params] = value.split(';').map((p) => p.trim());
  if (first === undefined || !/^\/(?!\/)[\x21-\x7e]*$/.test(first)) return undefined;
  const named = new Map<string, string>();
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq > 0) named.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
  }
  return {
    path: first,
    maxRecords: bound(named.get('max-records'), DEFAULT_RECORDS, BATCH_MAX_RECORDS),
    maxBytes: bound(named.get('max-bytes'), DEFAULT_BYTES, BATCH_MAX_BYTES),
  };
}

/** `creation_timestamp` -> `Creation-Timestamp`: the collector's canonical names (collector.md 4.1). */
function canonical(name: HeaderName): string {
  return name
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('-');
}
const CANONICAL: ReadonlyArray<readonly [HeaderName, string]> = HEADER_NAMES.map((n) => [n, canonical(n)]);

/** A payload that is not UTF-8 cannot be a JSON string unchanged: such records go one per POST. */
export function batchable(record: TelemRecord): boolean {
  return isUtf8(record.payload);
}

/**
 * One element of `records`, as JSON text: the 15 header lines the v2 POST would carry (same
 * values; names spelled canonically, which the collector reads like the v2 names) and the
 * payload as a string. Built once per record so the caller can count bytes before joining.
 */
export function encodeBatchRecord(id: string, record: TelemRecord): string {
  const headers: Record<string, string> = {};
  for (const [name, wire] of CANONICAL) headers[wire] = record.headers[name];
  return JSON.stringify({ id, headers, payload: record.payload.toString('utf8') });
}

/** The request body from encodeBatchRecord() elements. */
export function batchBody(encoded: readonly string[]): string {
  return `{"records":[${encoded.join(',')}]}`;
}

/** Bytes the body of these elements takes: elements, commas, the envelope. */
export function batchBodyBytes(elementBytes: number, count: number): number {
  return elementBytes + Math.max(0, count - 1) + '{"records":[]}'.length;
}

/**
 * The 200 answer -> one outcome per request id, in request order. Only an entry that names the
 * id with status 201 is delivered (the record is committed); 400 is a refusal with the
 * collector's message; anything else, a missing or mismatched entry included, is retried.
 * A body that is not the contract's shape fails as a whole: nothing is taken as stored.
 */
export function parseBatchResults(
  body: string,
  ids: readonly string[],
): { ok: true; outcomes: DeliveryOutcome[] } | { ok: false; detail: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, detail: 'batch answer is not JSON' };
  }
  const results = (parsed as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) return { ok: false, detail: 'batch answer has no "results" array' };
  const outcomes = ids.map((id, i): DeliveryOutcome => {
    const entry = results[i] as { id?: unknown; status?: unknown; message?: unknown } | undefined;
    if (typeof entry !== 'object' || entry === null || entry.id !== id)
      return { kind: 'retryable', reason: 'batch answer does not name this record' };
    const status = typeof entry.status === 'number' ? entry.status : 0;
    if (status === 201) return { kind: 'delivered', status };
    const said = typeof entry.message === 'string' ? `: ${entry.message.slice(0, 200)}` : '';
    if (status === 400) return { kind: 'permanent', reason: `HTTP 400${said}`, status };
    return { kind: 'retryable', reason: `batch entry status ${status}${said}`, status };
  });
  return { ok: true, outcomes };
}
