// A reference telemetrics collector on node:http / node:https: the routes of
// collector.md §3 with validate.ts behind them, records kept in memory with
// the raw request (method, path, header pairs as received, body bytes).
// Fault injection (`respondWith`) lets delivery tests see 5xx, 429, hangs and
// resets; `close()` then `listen(samePort)` lets them see the server go away.
//
// Routes: POST / and /v2/collector (v2 headers API), POST /v3/collector
// (2.4.x JSON), GET|HEAD on / and /v2/collector -> 302 Location: /telemetryui,
// GET /api/records (§5), other methods on those paths -> HTML 405,
// anything else -> HTML 404.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { queryRecords, type QueryableRecord } from './query.ts';
import {
  DEFAULT_TID,
  messageBody,
  type ValidatedRecord,
  type ValidationResult,
  validateV2,
  validateV3,
} from '../../packages/collector/src/ingest/validate.ts';

/** Every request the server received, answered or not. Filled in as it is answered. */
export interface ReceivedRequest {
  /** 1, 2, … in arrival order (of complete requests). */
  readonly seq: number;
  readonly method: string;
  /** The request target as sent, query included. */
  readonly path: string;
  /** `[name, value]` in arrival order with the original casing (from `req.rawHeaders`). */
  readonly rawHeaders: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** The status answered; null while unanswered (also for ever after a `hang` or `reset` fault). */
  status: number | null;
  /** The 400 message, or `fault` when an injected fault answered. */
  outcome?: string;
  /** Set when the request stored a record. */
  recordId?: number;
}

/** A stored record: the §4.6 fields plus id, receipt time and the request it came from. */
export interface CollectorRecord extends QueryableRecord {
  readonly request: ReceivedRequest;
}

/**
 * What to do instead of the normal answer to a record POST.
 * - `{ status }`: answer that status (body `{"message":"injected <status>"}`), with `Retry-After`
 *   when `retryAfter` is set. The record is NOT stored unless `store: true` (then it is validated and
 *   stored if valid before the fault is answered: upstream's 500-after-commit, bug B1).
 * - `{ hang: true }`: read the request and never answer (until the server closes).
 * - `{ reset: true }`: destroy the connection without answering.
 */
export type Fault =
  | {
      readonly status: number;
      readonly retryAfter?: string;
      readonly body?: string;
      readonly store?: boolean;
    }
  | { readonly hang: true }
  | { readonly reset: true };

/** A fault, or a function choosing one per request (undefined: answer normally). */
export type Responder = Fault | ((request: ReceivedRequest) => Fault | undefined);

export type CollectorEvent =
  | { readonly type: 'request'; readonly request: ReceivedRequest }
  | { readonly type: 'response'; readonly request: ReceivedRequest }
  | { readonly type: 'record'; readonly record: CollectorRecord };

export interface CollectorServerOptions {
  /** The TID to require (default: the Clear Linux TID). */
  readonly tid?: string;
  /** PEM key and certificate: serve HTTPS. */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** Seconds since the epoch; for ts_reception and the /api/records window. */
  readonly clock?: () => number;
  /** Bodies above this many bytes are answered 413 (default MAX_BODY_BYTES). */
  readonly maxBodyBytes?: number;
}

/** Bodies above this are answered 413 (upstream has no limit; this only bounds test memory). */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

const COLLECTOR_PATHS = new Set(['/', '/v2/collector']);

// Werkzeug 2.2's default pages (vectors validation/04, 50; v2.4.3-hprobe.response).
const HTML_404 =
  '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n' +
  '<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n';
const HTML_405 =
  '<!doctype html>\n<html lang=en>\n<title>405 Method Not Allowed</title>\n<h1>Method Not Allowed</h1>\n' +
  '<p>The method is not allowed for the requested URL.</p>\n';
const HTML_302 =
  '<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n' +
  '<p>You should be redirected automatically to the target URL: <a href="/telemetryui">/telemetryui</a>. If not, click the link.\n';
const HTML_413 =
  '<!doctype html>\n<html lang=en>\n<title>413 Request Entity Too Large</title>\n<h1>Request Entity Too Large</h1>\n' +
  '<p>The data value transmitted exceeds the capacity limit.</p>\n';

export class CollectorServer {
  readonly records: CollectorRecord[] = [];
  readonly requests: ReceivedRequest[] = [];
  readonly tid: string;
  readonly #server: http.Server;
  readonly #sockets = new Set<Socket>();
  readonly #listeners = new Set<(event: CollectorEvent) => void>();
  readonly #clock: () => number;
  readonly #maxBodyBytes: number;
  #responder: { fn: Responder; remaining: number } | null = null;
  #nextId = 1;

  constructor(opts: CollectorServerOptions = {}) {
    this.tid = opts.tid ?? DEFAULT_TID;
    this.#clock = opts.clock ?? (() => Date.now() / 1000);
    this.#maxBodyBytes = opts.maxBodyBytes ?? MAX_BODY_BYTES;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.#onRequest(req, res);
    this.#server = opts.tls
      ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, handler)
      : http.createServer(handler);
    // Raw TCP sockets for both http and https, so close() can cut hung and keep-alive connections.
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  /** Listens on host:port (port 0: any free port). Resolves with the bound address. */
  async listen(port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#server.once('error', onError);
      this.#server.listen({ port, host }, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
    return this.#server.address() as AddressInfo;
  }

  get listening(): boolean {
    return this.#server.listening;
  }

  /** Stops listening and cuts every open connection (hung ones included). Idempotent; listen() works again. */
  async close(): Promise<void> {
    if (!this.#server.listening) {
      for (const socket of this.#sockets) socket.destroy();
      return;
    }
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  /** Overrides the answer to record POSTs, for `times` requests (default: until reset with null). */
  respondWith(responder: Responder | null, opts: { times?: number } = {}): void {
    const times = opts.times ?? Infinity;
    if (!(times >= 1)) throw new RangeError(`respondWith: times must be at least 1, got ${opts.times}`);
    this.#responder = responder === null ? null : { fn: responder, remaining: times };
  }

  /** Subscribes to request/response/record events; returns the unsubscribe function. */
  subscribe(listener: (event: CollectorEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: CollectorEvent): void {
    for (const listener of [...this.#listeners]) listener(event);
  }

  #onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > this.#maxBodyBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('error', () => {
      // The client went away mid-body; nothing to answer.
    });
    req.on('end', () => {
      const rawHeaders: [string, string][] = [];
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
        rawHeaders.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
      }
      const request: ReceivedRequest = {
        seq: this.requests.length + 1,
        method: req.method ?? '',
        path: req.url ?? '',
        rawHeaders,
        body: Buffer.concat(chunks),
        status: null,
      };
      this.requests.push(request);
      this.#emit({ type: 'request', request });
      if (tooLarge) {
        this.#send(res, request, 413, 'text/html; charset=utf-8', HTML_413);
        return;
      }
      this.#route(request, res);
    });
  }

  #route(request: ReceivedRequest, res: http.ServerResponse): void {
    const pathname = request.path.split('?')[0] ?? '';
    const method = request.method;
    const isV2 = COLLECTOR_PATHS.has(pathname);
    const isV3 = pathname === '/v3/collector';
    if ((isV2 || isV3) && method === 'POST') {
      const fault = this.#takeFault(request);
      if (fault) this.#answerFault(request, res, fault, isV3);
      else this.#ingest(request, res, isV3);
      return;
    }
    if (isV2 && (method === 'GET' || method === 'HEAD')) {
      res.setHeader('Location', '/telemetryui');
      this.#send(res, request, 302, 'text/html; charset=utf-8', HTML_302);
      return;
    }
    if (pathname === '/api/records' && (method === 'GET' || method === 'HEAD')) {
      const query = new URLSearchParams(request.path.slice(pathname.length + 1));
      const result = queryRecords(query, this.records, this.#clock());
      if (result.message !== undefined) request.outcome = result.message;
      this.#send(res, request, result.status, 'application/json', result.body);
      return;
    }
    if (isV2 || isV3 || pathname === '/api/records') {
      res.setHeader(
        'Allow',
        isV3
          ? 'OPTIONS, POST'
          : pathname === '/api/records'
            ? 'GET, HEAD, OPTIONS'
            : 'GET, HEAD, OPTIONS, POST',
      );
      this.#send(res, request, 405, 'text/html; charset=utf-8', HTML_405);
      return;
    }
    this.#send(res, request, 404, 'text/html; charset=utf-8', HTML_404);
  }

  #takeFault(request: ReceivedRequest): Fault | undefined {
    const current = this.#responder;
    if (!current) return undefined;
    const fault = typeof current.fn === 'function' ? current.fn(request) : current.fn;
    if (fault === undefined) return undefined;
    current.remaining -= 1;
    if (current.remaining <= 0 && this.#responder === current) this.#responder = null;
    return fault;
  }

  #validate(request: ReceivedRequest, isV3: boolean, nowSec: number): ValidationResult {
    const input = { headers: request.rawHeaders, body: request.body };
    const opts = { tid: this.tid, id: this.#nextId, nowSec };
    return isV3 ? validateV3(input, opts) : validateV2(input, opts);
  }

  #store(request: ReceivedRequest, record: ValidatedRecord, nowSec: number): void {
    const stored: CollectorRecord = { ...record, id: this.#nextId++, timestamp_server: nowSec, request };
    request.recordId = stored.id;
    this.records.push(stored);
    this.#emit({ type: 'record', record: stored });
  }

  #ingest(request: ReceivedRequest, res: http.ServerResponse, isV3: boolean): void {
    const nowSec = this.#clock();
    const result = this.#validate(request, isV3, nowSec);
    if (result.record) this.#store(request, result.record, nowSec);
    if (result.message !== undefined) request.outcome = result.message;
    this.#send(res, request, result.status, 'application/json', result.body);
  }

  #answerFault(request: ReceivedRequest, res: http.ServerResponse, fault: Fault, isV3: boolean): void {
    request.outcome = 'fault';
    if ('hang' in fault) return;
    if ('reset' in fault) {
      res.socket?.destroy();
      return;
    }
    if (fault.store) {
      const nowSec = this.#clock();
      const result = this.#validate(request, isV3, nowSec);
      if (result.record) this.#store(request, result.record, nowSec);
    }
    if (fault.retryAfter !== undefined) res.setHeader('Retry-After', fault.retryAfter);
    const body = fault.body ?? messageBody(`injected ${fault.status}`);
    this.#send(res, request, fault.status, 'application/json', body);
  }

  #send(
    res: http.ServerResponse,
    request: ReceivedRequest,
    status: number,
    type: string,
    body: string,
  ): void {
    // Werkzeug's reason phrases are upper case ("201 CREATED").
    res.statusCode = status;
    res.statusMessage = (http.STATUS_CODES[status] ?? 'UNKNOWN').toUpperCase();
    res.setHeader('Content-Type', type);
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
    request.status = status;
    this.#emit({ type: 'response', request });
  }
}
