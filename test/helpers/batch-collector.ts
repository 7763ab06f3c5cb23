// A STAND-IN for the collector's batch ingestion endpoint (the batch contract, version 1: see
// docs/delivery.md "Batched delivery"). The real collector implements the same contract and
// test/e2e/telemd-collector-batch.test.ts drives telemd into it; this double stays for what the
// real one cannot be made to do on demand: answer single entries with 503, refuse a whole batch,
// stop advertising, or 404 the batch path. It validates every record with the collector's own v2
// rules (packages/collector/src/ingest/validate.ts), so a record it stores is one the v2
// endpoint would store.
//
//   await using c = await startBatchCollector({ maxRecords: 50 });
//   // telemd server= c.v2Url; c.records, c.requests ({ path, records: n, status })
//
// - POST /v2/collector (and /): one record, validated; every answer carries
//   `X-Telemetrics-Batch: /v2/collector/batch; max-records=N; max-bytes=M` unless
//   `advertise` is false (a legacy collector).
// - POST /v2/collector/batch: {"records":[{id, headers, payload}]} -> 200 {"results":[...]},
//   one entry per record in order: 201 + record_id when stored, 400 + message when refused.
//   400 for a malformed body or a wrong TID, 413 past max-records/max-bytes (nothing stored).
// - `fault(request)` may answer a request otherwise: { status } for the whole request, or
//   { entryStatus: (id) => number | undefined } to override single entries (not stored).
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DEFAULT_TID,
  messageBody,
  type ValidatedRecord,
  validateV2,
} from '../../packages/collector/src/ingest/validate.ts';

export interface BatchRequestInfo {
  readonly path: string;
  /** Records in the request (1 for a single POST). */
  readonly records: number;
  status: number | null;
}

export type BatchFault =
  | { readonly status: number }
  | { readonly entryStatus: (id: string) => number | undefined }
  | undefined;

export interface BatchCollectorOptions {
  readonly advertise?: boolean;
  readonly maxRecords?: number;
  readonly maxBytes?: number;
  readonly tid?: string;
}

export interface BatchCollector extends AsyncDisposable {
  readonly url: string;
  readonly v2Url: string;
  readonly records: readonly (ValidatedRecord & { readonly id: number })[];
  readonly requests: readonly BatchRequestInfo[];
  advertise: boolean;
  fault: ((request: BatchRequestInfo) => BatchFault) | undefined;
  waitForRecords(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const BATCH_PATH = '/v2/collector/batch';

export async function startBatchCollector(opts: BatchCollectorOptions = {}): Promise<BatchCollector> {
  const tid = opts.tid ?? DEFAULT_TID;
  const maxRecords = opts.maxRecords ?? 500;
  const maxBytes = opts.maxBytes ?? 4 * 1024 * 1024;
  const records: (ValidatedRecord & { id: number })[] = [];
  const requests: BatchRequestInfo[] = [];
  const waiters = new Set<() => void>();
  let nextId = 1;

  function store(
    headers: [string, string][],
    body: Buffer,
  ): { status: 201 | 400; body: string; id?: number } {
    const result = validateV2({ headers, body }, { tid, id: nextId, nowSec: Date.now() / 1000 });
    if (!result.record) return { status: 400, body: result.body };
    const id = nextId++;
    records.push({ ...result.record, id });
    for (const w of [...waiters]) w();
    return { status: 201, body: result.body, id };
  }

  function answer(res: http.ServerResponse, info: BatchRequestInfo, status: number, body: string): void {
    if (c.advertise && info.path !== BATCH_PATH)
      res.setHeader('X-Telemetrics-Batch', `${BATCH_PATH}; max-bytes=${maxBytes}; max-records=${maxRecords}`);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    info.status = status;
  }

  function onBatch(
    req: http.IncomingMessage,
    body: Buffer,
    info: BatchRequestInfo,
    res: http.ServerResponse,
  ) {
    if (req.headers['x-telemetry-tid'] !== tid)
      return answer(res, info, 400, messageBody('Telemetry ID mismatch'));
    if (body.length > maxBytes) return answer(res, info, 413, messageBody('too large'));
    let parsed: { records?: { id?: unknown; headers?: Record<string, unknown>; payload?: unknown }[] };
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return answer(res, info, 400, messageBody('malformed body'));
    }
    if (!Array.isArray(parsed.records)) return answer(res, info, 400, messageBody('malformed body'));
    (info as { records: number }).records = parsed.records.length;
    if (parsed.records.length > maxRecords) return answer(res, info, 413, messageBody('too many records'));
    const fault = c.fault?.(info);
    if (fault && 'status' in fault)
      return answer(res, info, fault.status, messageBody(`injected ${fault.status}`));
    const results = parsed.records.map((r) => {
      const id = String(r.id);
      const override = fault?.entryStatus(id);
      if (override !== undefined) return { id, status: override, message: `injected ${override}` };
      const headers: [string, string][] = Object.entries(r.headers ?? {}).map(([k, v]) => [k, String(v)]);
      headers.push(['X-Telemetry-TID', tid], ['Content-Type', 'application/text']);
      const stored = store(headers, Buffer.from(String(r.payload ?? ''), 'utf8'));
      return stored.status === 201
        ? { id, status: 201, record_id: stored.id }
        : { id, status: 400, message: JSON.parse(stored.body).message as string };
    });
    answer(res, info, 200, JSON.stringify({ results }));
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? '').split('?')[0] ?? '';
      const info: BatchRequestInfo = { path, records: 1, status: null };
      requests.push(info);
      if (req.method !== 'POST') return answer(res, info, 405, messageBody('method'));
      if (path === BATCH_PATH) return onBatch(req, body, info, res);
      if (path !== '/v2/collector' && path !== '/') return answer(res, info, 404, messageBody('not found'));
      const fault = c.fault?.(info);
      if (fault && 'status' in fault)
        return answer(res, info, fault.status, messageBody(`injected ${fault.status}`));
      const headers: [string, string][] = [];
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
        headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
      const stored = store(headers, body);
      answer(res, info, stored.status, stored.body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const c: BatchCollector = {
    url,
    v2Url: `${url}/v2/collector`,
    records,
    requests,
    advertise: opts.advertise ?? true,
    fault: undefined,
    waitForRecords(n, timeoutMs = 30_000) {
      if (records.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`batch collector: ${records.length}/${n} records after ${timeoutMs} ms`));
        }, timeoutMs);
        const check = (): void => {
          if (records.length < n) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    async close() {
      server.closeAllConnections();
      if (server.listening) await new Promise((resolve) => server.close(resolve));
    },
    [Symbol.asyncDispose]() {
      return c.close();
    },
  };
  return c;
}
