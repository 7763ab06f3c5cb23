// POST /v2/collector/batch (notes/BATCH-PROTOCOL.md, docs/collector-api.md): several records in
// one JSON body, each validated exactly as the v2 endpoint validates its headers. [pure]
import { normalizeHeaders, type ValidateOptions, type ValidationResult, validateFields } from './validate.ts';

export const BATCH_PATH = '/v2/collector/batch';
export const BATCH_MAX_RECORDS = 500;
export const BATCH_MAX_BYTES = 4 * 1024 * 1024;
/** The advertisement every ingestion answer carries (header X-Telemetrics-Batch). */
export const BATCH_ADVERTISEMENT = `${BATCH_PATH}; max-records=${BATCH_MAX_RECORDS}; max-bytes=${BATCH_MAX_BYTES}`;
const MAX_ID_LENGTH = 128;

export interface BatchRecord {
  readonly id: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly payload: string;
}

export type ParsedBatch =
  | { readonly records: readonly BatchRecord[] }
  | { readonly status: 400 | 413; readonly message: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

function bad(message: string): ParsedBatch {
  return { status: 400, message };
}

/** The body's records, or the whole-request refusal (nothing of it is stored then). */
export function parseBatch(body: Uint8Array): ParsedBatch {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(body));
  } catch {
    return bad('batch body is not valid JSON');
  }
  const list = (parsed as { records?: unknown } | null)?.records;
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray(list)) {
    return bad('batch body must be an object with a "records" array');
  }
  if (list.length > BATCH_MAX_RECORDS) {
    return { status: 413, message: `a batch holds at most ${BATCH_MAX_RECORDS} records` };
  }
  const ids = new Set<string>();
  const records: BatchRecord[] = [];
  for (const [i, item] of list.entries()) {
    const r = item as { id?: unknown; headers?: unknown; payload?: unknown } | null;
    if (typeof r !== 'object' || r === null) return bad(`records[${i}] is not an object`);
    if (typeof r.id !== 'string' || r.id === '' || r.id.length > MAX_ID_LENGTH) {
      return bad(`records[${i}].id must be a string of 1..${MAX_ID_LENGTH} characters`);
    }
    if (ids.has(r.id)) return bad(`records[${i}].id repeats ${JSON.stringify(r.id)}`);
    ids.add(r.id);
    if (typeof r.headers !== 'object' || r.headers === null || Array.isArray(r.headers)) {
      return bad(`records[${i}].headers must be an object`);
    }
    const headers: [string, string][] = [];
    for (const [name, value] of Object.entries(r.headers)) {
      if (typeof value !== 'string') return bad(`records[${i}].headers.${name} is not a string`);
      headers.push([name, value]);
    }
    if (typeof r.payload !== 'string') return bad(`records[${i}].payload is not a string`);
    records.push({ id: r.id, headers, payload: r.payload });
  }
  return { records };
}

/** One batch record through the v2 rules; the request's TID stands in when the record has none. */
export function validateBatchRecord(
  record: BatchRecord,
  requestTid: string | undefined,
  opts: ValidateOptions,
): ValidationResult {
  const headers = normalizeHeaders(record.headers);
  if (!headers.has('x-telemetry-tid') && requestTid !== undefined) headers.set('x-telemetry-tid', requestTid);
  return validateFields(headers, record.payload, opts);
}
