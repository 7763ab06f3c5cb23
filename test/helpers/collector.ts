// The real collector (packages/collector) for tests, as an `await using` resource, on a fresh
// SQLite file (or `db: 'postgres://...'`), behind test/collector/fault-server.ts's fault injection.
//
//   await using collector = await startCollector();          // http://127.0.0.1:<port>
//   // point telemd at collector.v2Url (or collector.v3Url), then:
//   const [record] = await collector.waitForRecords(1);      // rejects after timeoutMs (default 10 s)
//   record.classification; record.payload; record.request.rawHeaders;
//
// API (types from test/collector/fault-server.ts):
//   startCollector(opts?: { tid?: string; tls?: boolean; host?: '127.0.0.1' | '::1'; db?: string }): Promise<Collector>
//   Collector
//     url, v2Url, v3Url   `http(s)://127.0.0.1:PORT`, `${url}/v2/collector`, `${url}/v3/collector`
//     port, tid           the bound port (kept across stop/start) and the required TID
//     caFile              PEM of the CA that signed the server cert (tls only; telemd `cainfo`)
//     records             accepted records in order: §4.6 fields (arch, build, classification,
//                         payload, severity, …, payload_version, system_name, timestamp_client),
//                         id (from 1), timestamp_server, and `request` (the raw request)
//     requests            every complete request received, accepted or not: seq, method, path,
//                         rawHeaders ([name, value] as sent), body (Buffer), status (null while
//                         unanswered), outcome (the 400 message, or 'fault'), recordId
//     waitForRecords(n, { timeoutMs }?)    resolves with `records` once n are stored
//     waitForRequests(n, { timeoutMs }?)   resolves with `requests` once n have arrived (bodies read)
//     waitForResponses(n, { timeoutMs }?)  resolves once n requests have been answered
//     respondWith(fault | fn | null, { times }?)  overrides answers to record POSTs (the /, /v2 and
//                         /v3 collector paths); other routes are never affected:
//                           { status: 500 } | { status: 503, retryAfter: '2' } | { status: 429 } …
//                             (not stored; add `store: true` to store a valid record first, like
//                             upstream's 500-after-commit), { hang: true } (never answered until
//                             stop/close), { reset: true } (connection destroyed),
//                           fn(request) => fault | undefined (undefined: normal answer).
//                         `times: n` reverts to normal after n faulted requests; null resets now.
//     stop()              close the listener and cut every connection (the port goes down)
//     start()             listen again on the SAME port (records and overrides are kept)
//     close() / [Symbol.asyncDispose]   stop for good (database closed, temp dir removed); idempotent
//     db                  the collector's database (packages/collector/src/db/types.ts)
//   requestHeader(request, name)  a header's value as the collector reads it (any case, `_` = `-`,
//                         repeats joined with `,`), or undefined
//
// The arrays are live (they grow as requests arrive); waits resolve with them.
// stop()/start() re-binds the same port; another process could take it in
// between, which on a loopback test host is unlikely enough to ignore.
//
// The collector enforces collector.md §4 exactly as a fixed upstream would (see
// packages/collector/src/ingest/validate.ts for the few deliberate deviations): the
// Clear Linux TID unless `tid` is given, 400 `{"message":…}` for invalid
// records, 201 with the record JSON otherwise.
import { normalizeHeaders, normalizeName } from '../../packages/collector/src/ingest/validate.ts';
import type { Db } from '../../packages/collector/src/db/types.ts';
import {
  type CollectorRecord,
  FaultServer,
  type ReceivedRequest,
  type Responder,
} from '../collector/fault-server.ts';
import { getTestCertificates } from './test-ca.ts';

export type { CollectorRecord, Fault, ReceivedRequest, Responder } from '../collector/fault-server.ts';

export interface StartCollectorOptions {
  readonly tid?: string;
  readonly tls?: boolean;
  readonly host?: '127.0.0.1' | '::1';
  /** A postgres:// URL (default: a fresh SQLite file in a temp dir). */
  readonly db?: string;
}

export interface WaitOptions {
  /** Default 10 000 ms. */
  readonly timeoutMs?: number;
}

export interface Collector extends AsyncDisposable {
  readonly url: string;
  readonly v2Url: string;
  readonly v3Url: string;
  readonly port: number;
  readonly tid: string;
  readonly caFile: string | undefined;
  readonly db: Db;
  readonly records: readonly CollectorRecord[];
  readonly requests: readonly ReceivedRequest[];
  waitForRecords(n: number, opts?: WaitOptions): Promise<readonly CollectorRecord[]>;
  waitForRequests(n: number, opts?: WaitOptions): Promise<readonly ReceivedRequest[]>;
  waitForResponses(n: number, opts?: WaitOptions): Promise<readonly ReceivedRequest[]>;
  respondWith(responder: Responder | null, opts?: { readonly times?: number }): void;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** A header of a received request, looked up as the collector does (§2). */
export function requestHeader(request: ReceivedRequest, name: string): string | undefined {
  return normalizeHeaders(request.rawHeaders).get(normalizeName(name));
}

/** True when the openssl CLI is there to make the TLS certificates. */
export async function tlsAvailable(): Promise<boolean> {
  return (await getTestCertificates()) !== null;
}

export async function startCollector(opts: StartCollectorOptions = {}): Promise<Collector> {
  const host = opts.host ?? '127.0.0.1';
  const certs = opts.tls ? await getTestCertificates() : undefined;
  if (opts.tls && !certs)
    throw new Error('startCollector({ tls: true }) needs the openssl CLI, which was not found');
  const server = await FaultServer.create({
    ...(opts.tid !== undefined ? { tid: opts.tid } : {}),
    ...(opts.db !== undefined ? { db: opts.db } : {}),
    ...(certs ? { tls: { key: certs.key, cert: certs.cert } } : {}),
  });
  let port: number;
  try {
    ({ port } = await server.listen(0, host));
  } catch (err) {
    await server.close();
    throw err;
  }
  const url = `${certs ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closed = false;

  const describe = (): string => {
    const last = server.requests
      .slice(-5)
      .map(
        (r) =>
          `#${r.seq} ${r.method} ${r.path} -> ${r.status ?? 'unanswered'}${r.outcome ? ` (${r.outcome})` : ''}`,
      );
    return `${server.records.length} record(s), ${server.requests.length} request(s)${last.length ? `; last: ${last.join('; ')}` : ''}`;
  };

  function waitFor<T>(what: string, done: () => boolean, value: () => T, timeoutMs: number): Promise<T> {
    if (done()) return Promise.resolve(value());
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`collector: ${what} not reached after ${timeoutMs} ms: ${describe()}`));
      }, timeoutMs);
      const unsubscribe = server.subscribe(() => {
        if (!done()) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(value());
      });
    });
  }

  const answered = (): number => server.requests.filter((r) => r.status !== null).length;
  const waitCount = <T>(
    what: string,
    count: () => number,
    n: number,
    value: T,
    o?: WaitOptions,
  ): Promise<T> =>
    waitFor(
      `${n} ${what}`,
      () => count() >= n,
      () => value,
      o?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    );

  const collector: Collector = {
    url,
    v2Url: `${url}/v2/collector`,
    v3Url: `${url}/v3/collector`,
    port,
    tid: server.tid,
    caFile: certs?.caFile,
    db: server.db,
    records: server.records,
    requests: server.requests,
    waitForRecords: (n, o) => waitCount('record(s)', () => server.records.length, n, server.records, o),
    waitForRequests: (n, o) => waitCount('request(s)', () => server.requests.length, n, server.requests, o),
    waitForResponses: (n, o) => waitCount('response(s)', answered, n, server.requests, o),
    respondWith: (responder, o) => server.respondWith(responder, o),
    stop: () => server.stop(),
    async start() {
      if (closed) throw new Error('collector: start() after close()');
      if (!server.listening) await server.listen(port, host);
    },
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
    },
    [Symbol.asyncDispose]() {
      return collector.close();
    },
  };
  return collector;
}
