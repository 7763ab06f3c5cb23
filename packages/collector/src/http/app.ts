// The collector's routes (spec/collector.md §3, docs/collector-api.md):
//   POST /, /v2/collector            v2 headers API          POST /v3/collector   2.4.x JSON
//   POST /v2/collector/batch         batch (BATCH-PROTOCOL)  GET  /api/records    query (§5)
//   POST /v1/events                  NDJSON events           POST /v1/logs        OTLP/HTTP JSON logs
//   GET /v2/collector -> 302 /telemetryui; GET / -> 302 /telemetryui/; /telemetryui/* web views
// Ingestion is open (TID-checked); /api and /telemetryui pass the access rule (access.ts).
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type { Logger } from '@telemetrics/libtelemetry/log';
import { readsOf } from '../db/open.ts';
import type { Db } from '../db/types.ts';
import { parseOtlpLogs, parseNdjson } from '../events/parse.ts';
import { storeEvents, storeLogs, streamHeaders } from '../events/store.ts';
import {
  BATCH_ADVERTISEMENT,
  BATCH_MAX_BYTES,
  BATCH_PATH,
  parseBatch,
  validateBatchRecord,
} from '../ingest/batch.ts';
import { pyJsonDumps } from '../ingest/py-compat.ts';
import { RecordStore } from '../ingest/store.ts';
import {
  DEFAULT_TID,
  messageBody,
  recordJson,
  type ValidatedRecord,
  type ValidationResult,
  validateV2,
  validateV3,
} from '../ingest/validate.ts';
import { createWebHandler, type WebHandler } from '../web/index.ts';
import type { WarmResult } from '../web/warm.ts';
import { accessDenied } from './access.ts';
import { BodyBudget, readBody } from './body.ts';
import { answerRecordsQuery } from './records-route.ts';
import { HTML_404, HTML_405, HTML_413, HTML_TYPE, html302, JSON_TYPE, send } from './pages.ts';

export interface AppOptions {
  readonly db: Db;
  readonly log: Logger;
  readonly tid?: string;
  /** Largest record body (v2/v3), bytes. */
  readonly maxRecordBytes?: number;
  /** Largest NDJSON / OTLP body, bytes. */
  readonly maxEventBytes?: number;
  readonly maxEvents?: number;
  readonly accessToken?: string;
  readonly csrfSecret?: Buffer;
  /** Seconds since the epoch (float). */
  readonly now?: () => number;
  /** Request body bytes held in memory at once, all requests together. */
  readonly maxBufferedBytes?: number;
}

/** What a test wrapper can observe: each record as stored, with the request it came from. */
export interface StoredRecordEvent {
  readonly record: ValidatedRecord;
  readonly id: number;
  readonly timestampServer: number;
}
export interface HandleHooks {
  onStored?(event: StoredRecordEvent): void;
  /** A record refused with 400 (or not stored: 503), and why. */
  onRefused?(message: string): void;
}

export const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_EVENT_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_EVENTS = 10_000;
export const DEFAULT_MAX_BUFFERED_BYTES = 256 * 1024 * 1024;
const RECORD_PATHS = new Set(['/', '/v2/collector', '/v3/collector']);
const ADVERTISE = { 'X-Telemetrics-Batch': BATCH_ADVERTISEMENT };

/** The route a request goes to, from its method and path alone. [pure] */
export function bodyLimitFor(method: string, pathname: string, opts: AppOptions): number | null {
  if (method !== 'POST') return null;
  if (RECORD_PATHS.has(pathname)) return opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  if (pathname === BATCH_PATH) return BATCH_MAX_BYTES;
  if (pathname === '/v1/events' || pathname === '/v1/logs')
    return opts.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  return null;
}

export class CollectorApp {
  readonly tid: string;
  readonly store: RecordStore;
  readonly #opts: AppOptions;
  readonly #db: Db;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #web: WebHandler;
  readonly #budget: BodyBudget;

  constructor(opts: AppOptions) {
    this.#opts = opts;
    this.#db = opts.db;
    this.#log = opts.log;
    this.tid = opts.tid ?? DEFAULT_TID;
    this.#now = opts.now ?? (() => Date.now() / 1000);
    this.store = new RecordStore(opts.db);
    this.#budget = new BodyBudget(opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES);
    this.#web = createWebHandler({
      db: opts.db,
      now: () => this.#now() * 1000,
      csrfSecret: opts.csrfSecret ?? randomBytes(32),
    });
  }

  /** Fills the web views' memoised aggregates in the background (web/warm.ts), so the first
   *  visitor after a start is served from memory; called once the collector listens. */
  warmViews(): Promise<WarmResult> {
    return this.#web.warm();
  }

  /** Entry point for node:http: reads a bounded body where the route takes one, then routes. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    const limit = bodyLimitFor(req.method ?? '', pathname, this.#opts);
    if (limit === null) {
      this.route(req, res, Buffer.alloc(0)).catch((err: unknown) => this.#fail(res, err));
      return;
    }
    readBody(req, res, limit, this.#budget).then(
      (result) => {
        if ('aborted' in result) return;
        if ('overBudget' in result) {
          this.#log.log('warning', 'request bodies over the memory budget; answering 503', {
            budget: this.#budget.limit,
          });
          res.setHeader('Connection', 'close');
          send(res, 503, JSON_TYPE, messageBody('collector busy; retry later'), { 'Retry-After': '5' });
          res.once('finish', () => req.destroy());
          return;
        }
        if ('tooLarge' in result) {
          res.setHeader('Connection', 'close');
          send(res, 413, HTML_TYPE, HTML_413, RECORD_PATHS.has(pathname) ? ADVERTISE : {});
          res.once('finish', () => req.destroy());
          return;
        }
        this.route(req, res, result.body).catch((err: unknown) => this.#fail(res, err));
      },
      (err: unknown) => this.#fail(res, err),
    );
  }

  /** Routes a request whose body was already read (a test wrapper reads it itself). */
  async route(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: Buffer,
    hooks: HandleHooks = {},
  ): Promise<void> {
    const url = req.url ?? '/';
    const pathname = url.split('?')[0] ?? '/';
    const method = req.method ?? '';
    const isGet = method === 'GET' || method === 'HEAD';
    if (RECORD_PATHS.has(pathname) && method === 'POST') {
      return this.#ingest(req, res, body, pathname === '/v3/collector', hooks);
    }
    if (pathname === BATCH_PATH && method === 'POST') return this.#batch(req, res, body, hooks);
    if (pathname === '/v2/collector' && isGet) {
      return send(res, 302, HTML_TYPE, html302('/telemetryui'), { Location: '/telemetryui' });
    }
    if ((pathname === '/' || pathname === '/telemetryui') && isGet) {
      return send(res, 302, HTML_TYPE, html302('/telemetryui/'), { Location: '/telemetryui/' });
    }
    if (pathname === '/v1/events' && method === 'POST') return this.#events(req, res, body);
    if (pathname === '/v1/logs' && method === 'POST') return this.#logs(req, res, body);
    if (pathname === '/api/records' || pathname.startsWith('/telemetryui/')) {
      const denied = accessDenied(req, this.#opts.accessToken);
      if (denied !== null) return send(res, 403, JSON_TYPE, messageBody(denied));
      if (pathname.startsWith('/telemetryui/')) return this.#web(req, res);
      if (!isGet) return send(res, 405, HTML_TYPE, HTML_405, { Allow: 'GET, HEAD, OPTIONS' });
      return answerRecordsQuery(readsOf(this.#db), req, res, this.#now());
    }
    if (RECORD_PATHS.has(pathname) || pathname === BATCH_PATH || pathname.startsWith('/v1/')) {
      const allow =
        pathname === '/v2/collector' || pathname === '/' ? 'GET, HEAD, OPTIONS, POST' : 'OPTIONS, POST';
      return send(res, 405, HTML_TYPE, HTML_405, { Allow: allow });
    }
    return send(res, 404, HTML_TYPE, HTML_404);
  }

  #validate(req: http.IncomingMessage, body: Buffer, isV3: boolean, nowSec: number): ValidationResult {
    const headers: [string, string][] = [];
    const raw = req.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) headers.push([raw[i]!, raw[i + 1]!]);
    const opts = { tid: this.tid, id: 0, nowSec };
    return isV3 ? validateV3({ headers, body }, opts) : validateV2({ headers, body }, opts);
  }

  /** Validates and stores one record (as `store: true` faults do too); the answer to send. */
  async ingestOne(
    req: http.IncomingMessage,
    body: Buffer,
    isV3: boolean,
    hooks: HandleHooks = {},
  ): Promise<{ status: number; body: string; message?: string }> {
    const nowSec = this.#now();
    const result = this.#validate(req, body, isV3, nowSec);
    if (result.record === undefined) {
      this.#log.log('notice', 'record refused', { path: req.url, message: result.message });
      hooks.onRefused?.(result.message ?? '');
      return {
        status: result.status,
        body: result.body,
        ...(result.message ? { message: result.message } : {}),
      };
    }
    try {
      const stored = await this.store.insert(result.record, nowSec);
      hooks.onStored?.({ record: result.record, id: stored.id, timestampServer: nowSec });
      return { status: 201, body: `${pyJsonDumps(recordJson(result.record, stored.id, nowSec))}\n` };
    } catch (err) {
      this.#log.log('err', 'record not stored', { error: (err as Error).message });
      hooks.onRefused?.('database error');
      return {
        status: 503,
        body: messageBody('record not stored: database error; retry later'),
        message: 'database error',
      };
    }
  }

  async #ingest(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: Buffer,
    isV3: boolean,
    hooks: HandleHooks,
  ): Promise<void> {
    const answer = await this.ingestOne(req, body, isV3, hooks);
    send(res, answer.status, JSON_TYPE, answer.body, ADVERTISE);
  }

  async #batch(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: Buffer,
    hooks: HandleHooks,
  ): Promise<void> {
    const tid = req.headers['x-telemetry-tid'];
    if (tid !== this.tid) return send(res, 400, JSON_TYPE, messageBody('Telemetry ID mismatch'), ADVERTISE);
    const parsed = parseBatch(body);
    if ('message' in parsed)
      return send(res, parsed.status, JSON_TYPE, messageBody(parsed.message), ADVERTISE);
    const nowSec = this.#now();
    const results = await Promise.all(
      parsed.records.map(async (r) => {
        const v = validateBatchRecord(r, tid, { tid: this.tid, id: 0, nowSec });
        if (v.record === undefined) return { id: r.id, status: 400, message: v.message ?? '' };
        try {
          const stored = await this.store.insert(v.record, nowSec);
          hooks.onStored?.({ record: v.record, id: stored.id, timestampServer: nowSec });
          return { id: r.id, status: 201, record_id: stored.id };
        } catch (err) {
          this.#log.log('err', 'batch record not stored', { error: (err as Error).message });
          return { id: r.id, status: 503, message: 'record not stored: database error; retry later' };
        }
      }),
    );
    send(res, 200, JSON_TYPE, `${JSON.stringify({ results })}\n`, ADVERTISE);
  }

  async #events(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (
      ![
        'application/jsonl',
        'application/x-ndjson',
        'application/json-seq',
        'application/x-jsonlines',
      ].includes(type)
    ) {
      return send(res, 415, JSON_TYPE, messageBody('Content-Type must be application/jsonl'));
    }
    const parsed = parseNdjson(body, this.#opts.maxEvents ?? DEFAULT_MAX_EVENTS);
    if ('message' in parsed)
      return send(res, 400, JSON_TYPE, `${JSON.stringify({ message: parsed.message, stored: 0 })}\n`);
    const stored = await storeEvents(this.#db, streamHeaders(req.rawHeaders), parsed.items, this.#now());
    send(res, 200, JSON_TYPE, `${JSON.stringify({ stored })}\n`);
  }

  async #logs(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      return send(
        res,
        415,
        JSON_TYPE,
        messageBody('only OTLP/HTTP JSON (Content-Type application/json) is accepted'),
      );
    }
    const parsed = parseOtlpLogs(body, this.#opts.maxEvents ?? DEFAULT_MAX_EVENTS);
    if ('message' in parsed) return send(res, 400, JSON_TYPE, messageBody(parsed.message));
    await storeLogs(this.#db, parsed.items, this.#now());
    send(res, 200, JSON_TYPE, '{}\n');
  }

  #fail(res: http.ServerResponse, err: unknown): void {
    this.#log.log('err', 'request failed', { error: (err as Error)?.message ?? String(err) });
    if (!res.headersSent) send(res, 500, JSON_TYPE, messageBody('internal error'));
    else res.destroy();
  }
}
