// The real collector (packages/collector's CollectorApp on a fresh SQLite file, or a
// PostgreSQL URL) behind a test-only wrapper that keeps every request (method, path, header
// pairs as received, body bytes) and can answer record POSTs with faults instead (status,
// hang, reset) so delivery tests see 5xx, 429, hangs and resets. It reads each body itself
// (the wrapper must see the bytes) and hands the rest to CollectorApp.route(), the same code
// the telemetrics-collector command runs. Test double only for the faults: a real collector
// has no switch to fail on purpose.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMemoryLogger } from '@telemetrics/libtelemetry/log';
import { openDb } from '../../packages/collector/src/db/open.ts';
import type { Db } from '../../packages/collector/src/db/types.ts';
import { CollectorApp, type HandleHooks } from '../../packages/collector/src/http/app.ts';
import { send } from '../../packages/collector/src/http/pages.ts';
import { messageBody, type ValidatedRecord } from '../../packages/collector/src/ingest/validate.ts';

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
  /** Set when the request stored a record (the first one, for a batch). */
  recordId?: number;
}

/** A stored record: the §4.6 fields plus id, receipt time and the request it came from. */
export interface CollectorRecord extends ValidatedRecord {
  readonly id: number;
  /** Server receipt time, seconds (float). */
  readonly timestamp_server: number;
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

export interface FaultServerOptions {
  readonly tid?: string;
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** A postgres:// URL; default a fresh SQLite file in a temp dir (removed on close). */
  readonly db?: string;
  /** Bodies above this many bytes are answered 413. */
  readonly maxBodyBytes?: number;
}

/** Bodies above this are answered 413 (bounds test memory). */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;
const FAULTABLE = new Set(['/', '/v2/collector', '/v3/collector', '/v2/collector/batch']);

export class FaultServer {
  readonly records: CollectorRecord[] = [];
  readonly requests: ReceivedRequest[] = [];
  readonly app: CollectorApp;
  readonly db: Db;
  readonly #server: http.Server;
  readonly #sockets = new Set<Socket>();
  readonly #listeners = new Set<() => void>();
  readonly #tmp: string | undefined;
  readonly #maxBodyBytes: number;
  #responder: { fn: Responder; remaining: number } | null = null;

  static async create(opts: FaultServerOptions = {}): Promise<FaultServer> {
    const tmp = opts.db === undefined ? mkdtempSync(path.join(tmpdir(), 'collector-')) : undefined;
    const db = await openDb(opts.db ?? `sqlite:${path.join(tmp!, 'collector.db')}`);
    return new FaultServer(db, tmp, opts);
  }

  private constructor(db: Db, tmp: string | undefined, opts: FaultServerOptions) {
    this.db = db;
    this.#tmp = tmp;
    this.#maxBodyBytes = opts.maxBodyBytes ?? MAX_BODY_BYTES;
    this.app = new CollectorApp({
      db,
      log: createMemoryLogger(),
      ...(opts.tid !== undefined ? { tid: opts.tid } : {}),
    });
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.#onRequest(req, res);
    this.#server = opts.tls
      ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, handler)
      : http.createServer(handler);
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  get tid(): string {
    return this.app.tid;
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ port, host }, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    return this.#server.address() as AddressInfo;
  }

  get listening(): boolean {
    return this.#server.listening;
  }

  /** Stops listening and cuts every open connection (hung ones included). listen() works again. */
  async stop(): Promise<void> {
    const closed = this.#server.listening
      ? new Promise<void>((r) => this.#server.close(() => r()))
      : undefined;
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  /** stop(), then the store's pending commits, the database, the temp dir. */
  async close(): Promise<void> {
    await this.stop();
    await this.app.store.drained();
    await this.db.close();
    if (this.#tmp !== undefined) rmSync(this.#tmp, { recursive: true, force: true });
  }

  respondWith(responder: Responder | null, opts: { times?: number } = {}): void {
    const times = opts.times ?? Infinity;
    if (!(times >= 1)) throw new RangeError(`respondWith: times must be at least 1, got ${opts.times}`);
    this.#responder = responder === null ? null : { fn: responder, remaining: times };
  }

  /** Called after every change (request, response, record); returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  #onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= this.#maxBodyBytes) chunks.push(chunk);
    });
    req.on('error', () => {});
    req.on('end', () => {
      const rawHeaders: [string, string][] = [];
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
        rawHeaders.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
      const request: ReceivedRequest = {
        seq: this.requests.length + 1,
        method: req.method ?? '',
        path: req.url ?? '',
        rawHeaders,
        body: Buffer.concat(chunks),
        status: null,
      };
      this.requests.push(request);
      res.once('finish', () => {
        request.status = res.statusCode;
        this.#emit();
      });
      this.#emit();
      if (size > this.#maxBodyBytes) {
        send(res, 413, 'application/json', messageBody('body too large'));
        return;
      }
      this.#route(req, res, request).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, 'application/json', messageBody(String(err)));
      });
    });
  }

  /** Records show up once their answer is written, as with an in-memory server: a test that
   *  stops the collector as soon as it sees a record does not cut that record's 201. */
  #hooks(request: ReceivedRequest, res: http.ServerResponse): HandleHooks {
    return {
      onStored: ({ record, id, timestampServer }) => {
        request.recordId ??= id;
        let shown = false;
        const show = (): void => {
          if (shown) return;
          shown = true;
          this.records.push({ ...record, id, timestamp_server: timestampServer, request });
          this.#emit();
        };
        res.once('finish', show);
        res.once('close', show);
      },
      onRefused: (message) => {
        request.outcome = message;
      },
    };
  }

  async #route(req: http.IncomingMessage, res: http.ServerResponse, request: ReceivedRequest): Promise<void> {
    const pathname = request.path.split('?')[0] ?? '';
    const fault = request.method === 'POST' && FAULTABLE.has(pathname) ? this.#takeFault(request) : undefined;
    if (fault === undefined) return this.app.route(req, res, request.body, this.#hooks(request, res));
    request.outcome = 'fault';
    if ('hang' in fault) return;
    if ('reset' in fault) {
      res.socket?.destroy();
      return;
    }
    if (fault.store)
      await this.app.ingestOne(req, request.body, pathname === '/v3/collector', this.#hooks(request, res));
    request.outcome = 'fault';
    const headers: Record<string, string> =
      fault.retryAfter !== undefined ? { 'Retry-After': fault.retryAfter } : {};
    send(
      res,
      fault.status,
      'application/json',
      fault.body ?? messageBody(`injected ${fault.status}`),
      headers,
    );
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
}
