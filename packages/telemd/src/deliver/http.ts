// HTTP delivery with undici: one keep-alive Pool per (origin, CA) with bounded
// connections, C's timeout values (5 s connect, 10 s for the answer, counted from
// the write: docs/delivery.md), no redirects, the v2 or v3 wire API. Failures are
// classified, never thrown.
import { readFileSync } from 'node:fs';
import type { Logger } from '@telemetrics/libtelemetry/log';
import type * as Undici from 'undici';
import type { TelemRecord } from '../record.ts';
import type { DeliveryTarget, ResolveOverride } from './cfg-override.ts';
import { createBatchClient } from './batch-client.ts';
import { classifyStatus, errorBodySummary } from './outcome.ts';
import { BATCH_ADVERT_HEADER } from './request-batch.ts';
import { buildV2Request } from './request-v2.ts';
import { buildV3Request, chooseApi } from './request-v3.ts';
import type { DeliveryOutcome, Sink } from './sink.ts';
import { parseTidHeader } from './tid-header.ts';

export interface HttpSinkOptions {
  readonly target: DeliveryTarget;
  readonly serverApi: 'v2' | 'v3' | 'auto';
  readonly logger: Logger;
  readonly resolveOverride?: ResolveOverride | undefined;
  /** Connections per origin. */
  readonly connections?: number;
  readonly connectTimeoutMs?: number;
  readonly totalTimeoutMs?: number;
  readonly now?: () => number;
}

const MAX_POOLS = 8;

// undici is loaded on the first delivery, not at start-up, and only Pool and request(): the whole
// package costs ~90 ms and ~25 MiB RSS to load, these two ~35 ms and ~13 MiB (docs/performance.md,
// "Start-up and memory").
type Pool = Undici.Pool;
let Pool!: typeof Undici.Pool;
let undiciLoaded: Promise<void> | undefined;
/**
 * V8 flags for undici's llhttp (WebAssembly), set at run time just before undici loads. Once its
 * parser has run long enough (~300 responses, a few minutes of a burst or days of a quiet
 * machine), V8 recompiles it with TurboFan on a helper thread, and the ~10 MiB that compile takes
 * stays in that thread's malloc arena for the daemon's life. A collector's replies are a few
 * hundred bytes, which Liftoff's baseline code parses as fast as telemd can send. The tier-up
 * filter names a function index llhttp does not have, so none tiers up (a larger tiering budget
 * only postpones it). Not on the command line: a compiler flag there (this one, or --liftoff-only)
 * makes node refuse the code cache embedded for its built-in modules, +5-12 ms before the socket
 * listens. Heap flags do not (--max-semi-space-size=2 on telemd's command line keeps the cache:
 * measured, docs/performance.md "Decision records"). Set now, it only slows the few built-ins
 * undici loads next, once. undici-v8-flags.test.ts checks that this node knows the flags.
 */
export const UNDICI_V8_FLAGS: readonly string[] = [`--wasm-tier-up-filter=${2 ** 31 - 1}`];

function loadUndici(): Promise<void> {
  if (!undiciLoaded) {
    const v8 = process.getBuiltinModule('node:v8');
    for (const flag of UNDICI_V8_FLAGS) v8.setFlagsFromString(flag);
  }
  undiciLoaded ??= Promise.all([
    import('undici/lib/dispatcher/pool.js'),
    import('undici/lib/api/api-request.js'),
  ]).then(([pool, request]) => {
    Pool = pool.default;
    // what undici's index.js does for every dispatcher: request() is a mixin of Dispatcher
    Pool.prototype.request ??= request.default;
  });
  return undiciLoaded;
}

interface Prepared {
  readonly pool: Pool;
  readonly origin: string;
  readonly path: string;
  readonly api: 'v2' | 'v3';
  readonly tid: ReturnType<typeof parseTidHeader>;
}

/** undici's deadlines: no answer (headers) within delivery_timeout_ms of the write, or a stalled body. */
const ANSWER_TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Bodies are drained up to this many bytes; a longer one closes the connection instead. */
const BODY_DRAIN_BYTES = 65_536;
/** How much of a refusal's body is kept for the log line. */
const ERROR_BODY_BYTES = 1024;

/** Drains a body (up to `limit` bytes) and returns its first `keep` bytes; errors end it early. */
async function readHead(body: AsyncIterable<Buffer>, keep: number, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let kept = 0;
  let seen = 0;
  try {
    for await (const chunk of body) {
      if (kept < keep) {
        const part = chunk.subarray(0, keep - kept);
        chunks.push(part);
        kept += part.length;
      }
      seen += chunk.length;
      if (seen > limit) break; // destroys the body: the connection is closed, not reused
    }
  } catch {
    // aborted or reset: keep what arrived
  }
  return Buffer.concat(chunks);
}

/** Why a request got no answer, in the words of the log line. */
function failureReason(error: unknown, totalTimeout: number, connectTimeout: number): string {
  const err = error as Error & { code?: string };
  if (ANSWER_TIMEOUT_CODES.has(err.code ?? '')) return `timeout after ${totalTimeout} ms (${err.code})`;
  if (err.code === 'UND_ERR_CONNECT_TIMEOUT')
    return `connect timeout after ${connectTimeout} ms (${err.code})`;
  return `${err.code ?? err.name}: ${err.message}`;
}

/**
 * What an answer means (outcome.ts), with the first bytes of a refusal's body in its reason:
 * the collector's message names the header it did not like. C reads and discards the body;
 * draining lets the connection be reused.
 */
async function answerOutcome(
  response: Undici.Dispatcher.ResponseData,
  nowMs: number,
): Promise<DeliveryOutcome> {
  const delivered = response.statusCode === 200 || response.statusCode === 201;
  let head: Buffer | undefined;
  if (delivered) await response.body.dump({ limit: BODY_DRAIN_BYTES }).catch(() => {});
  else head = await readHead(response.body, ERROR_BODY_BYTES, BODY_DRAIN_BYTES);
  const retryAfter = response.headers['retry-after'];
  const outcome = classifyStatus(
    response.statusCode,
    Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
    nowMs,
  );
  const said = head === undefined ? undefined : errorBodySummary(head);
  return outcome.kind === 'delivered' || said === undefined
    ? outcome
    : { ...outcome, reason: `${outcome.reason}: ${said}` };
}

interface PoolCache {
  /** The pool for `origin` with `cainfo`, made if needed; the most recently used last. */
  get(url: URL, cainfo: string): Pool;
  closeAll(): Promise<void>;
}

/** Pools per origin and CA file; past MAX_POOLS the least recently used is closed (`onEvict`). */
function createPoolCache(options: {
  readonly connections: number;
  readonly connectTimeout: number;
  readonly totalTimeout: number;
  readonly readCa: (cainfo: string) => string | undefined;
  readonly onEvict: (pool: Pool) => void;
}): PoolCache {
  const pools = new Map<string, Pool>();
  const { connectTimeout, totalTimeout } = options;
  function make(url: URL, cainfo: string): Pool {
    const ca = url.protocol === 'https:' ? options.readCa(cainfo) : undefined;
    return new Pool(url.origin, {
      connections: options.connections,
      keepAliveTimeout: 30_000,
      // node's default, given so undici never asks node:http for it (scripts/bundle.mjs)
      maxHeaderSize: 16 * 1024,
      headersTimeout: totalTimeout,
      bodyTimeout: totalTimeout,
      connect: ca === undefined ? { timeout: connectTimeout } : { timeout: connectTimeout, ca },
    });
  }
  return {
    get(url, cainfo) {
      const key = `${url.origin}\0${cainfo}`;
      let pool = pools.get(key);
      if (pool) {
        pools.delete(key); // re-insert: most recently used last
      } else {
        pool = make(url, cainfo);
        if (pools.size >= MAX_POOLS) {
          const [oldKey, oldPool] = pools.entries().next().value as [string, Pool];
          pools.delete(oldKey);
          options.onEvict(oldPool);
          void oldPool.close().catch(() => {});
        }
      }
      pools.set(key, pool);
      return pool;
    },
    async closeAll() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.allSettled(all.map((p) => p.close()));
    },
  };
}

export function createHttpSink(options: HttpSinkOptions): Sink {
  const { logger } = options;
  const connectTimeout = options.connectTimeoutMs ?? 5000;
  const totalTimeout = options.totalTimeoutMs ?? 10_000;
  const now = options.now ?? Date.now;
  const warned = new Set<string>();
  let closed = false;

  function warnOnce(key: string, message: string, fields: Record<string, string>): void {
    if (warned.has(key)) return;
    warned.add(key);
    logger.log('warning', message, fields);
  }

  // Servers whose path answered 404: said once at err until a record is delivered there again.
  const misconfigured = new Set<string>();
  function noteConfigFault(server: string, outcome: DeliveryOutcome): void {
    if (outcome.kind === 'delivered') misconfigured.delete(server);
    if (outcome.kind !== 'retryable' || !outcome.configFault || misconfigured.has(server)) return;
    misconfigured.add(server);
    logger.log(
      'err',
      'collector answered 404 Not Found: server= names a path it does not serve; records are kept and retried with backoff until it is fixed',
      {
        server,
      },
    );
  }

  function readCa(cainfo: string): string | undefined {
    if (cainfo === '') return undefined;
    try {
      return readFileSync(cainfo, 'latin1');
    } catch (error) {
      // C silently falls back to the system bundle when the file is missing; we say so once.
      warnOnce(`ca:${cainfo}`, 'cainfo file unreadable; using the system CA bundle', {
        path: cainfo,
        errno: String((error as NodeJS.ErrnoException).code),
      });
      return undefined;
    }
  }

  const pools = createPoolCache({
    connections: options.connections ?? 4,
    connectTimeout,
    totalTimeout,
    readCa,
    onEvict: (pool) => {
      if (preparedDefault?.pool === pool) preparedDefault = undefined;
    },
  });

  function prepare(target: DeliveryTarget): Prepared | string {
    let url: URL;
    try {
      url = new URL(target.server);
    } catch {
      return `server ${JSON.stringify(target.server)} is not a URL`;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return `server scheme ${url.protocol} unsupported`;
    const pool = pools.get(url, target.cainfo);
    const tid = parseTidHeader(target.tidheader);
    if (!tid && target.tidheader !== '') {
      warnOnce(`tid:${target.tidheader}`, 'tidheader is not a "Name: value" header line; not sent', {
        tidheader: target.tidheader,
      });
    }
    return {
      pool,
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      api: chooseApi(options.serverApi, target.server),
      tid,
    };
  }

  // The default target is prepared once (URL parse, TID split, pool lookup), not per record.
  let preparedDefault: Prepared | undefined;

  /** The record's target (a CFG: override, else the configured one), prepared; a string says why not. */
  async function preparedFor(
    record: TelemRecord,
  ): Promise<{ target: DeliveryTarget; prepared: Prepared } | string> {
    let target = options.target;
    if (record.cfgPath !== undefined && options.resolveOverride) {
      target = (await options.resolveOverride(record.cfgPath)) ?? options.target;
    }
    if (target === options.target && preparedDefault && !preparedDefault.pool.closed) {
      return { target, prepared: preparedDefault };
    }
    // A prepared target implies undici is loaded: only the first delivery (or a new target) waits here.
    try {
      await loadUndici();
    } catch (error) {
      undiciLoaded = undefined; // an install being repaired: try again next time
      return `cannot load undici: ${(error as Error).message}`;
    }
    const prepared = prepare(target);
    if (typeof prepared === 'string') return prepared;
    if (target === options.target) preparedDefault = prepared;
    return { target, prepared };
  }

  async function deliver(record: TelemRecord, signal?: AbortSignal): Promise<DeliveryOutcome> {
    if (closed) return { kind: 'retryable', reason: 'sink closed' };
    const ready = await preparedFor(record);
    if (typeof ready === 'string') return { kind: 'retryable', reason: ready };
    const { target, prepared } = ready;
    const request =
      prepared.api === 'v3' ? buildV3Request(record, prepared.tid) : buildV2Request(record, prepared.tid);
    const flat: string[] = [];
    for (const h of request.headers) flat.push(h.name, h.value);
    // The deadline is undici's, per connection: headersTimeout is armed when the request is on a
    // socket (written), not when it is queued for one, and bodyTimeout between body chunks. A
    // timer started here counted the wait for one of the pool's connections too: with more
    // requests than connections and a slow collector, requests it was about to store were given
    // up on and posted again (issue 15). An answer whose headers arrive before the timer fires
    // clears it, so a slow 201 is taken as the outcome. The caller's signal is only close/destroy;
    // it covers the body too (undici destroys it on abort).
    try {
      const response = await prepared.pool.request({
        path: prepared.path,
        method: 'POST',
        headers: flat,
        body: request.body,
        ...(signal ? { signal } : {}),
      });
      const outcome = await answerOutcome(response, now());
      batches.noteAdvert(prepared.origin, response.headers[BATCH_ADVERT_HEADER]);
      noteConfigFault(target.server, outcome);
      return outcome;
    } catch (error) {
      return { kind: 'retryable', reason: failureReason(error, totalTimeout, connectTimeout) };
    }
  }

  // Batches go to the default target only, on its pool, once a single POST there has seen the
  // collector advertise the batch endpoint (deliver/batch-client.ts).
  const batches = createBatchClient({
    logger,
    now,
    totalTimeoutMs: totalTimeout,
    target: () => (preparedDefault && !preparedDefault.pool.closed && !closed ? preparedDefault : undefined),
    single: deliver,
  });

  return {
    deliver,
    batchLimit: batches.batchLimit,
    async deliverBatch(items, signal) {
      if (closed) return items.map(() => ({ kind: 'retryable', reason: 'sink closed' }) as const);
      return batches.deliverBatch(items, signal);
    },
    async close() {
      if (closed) return;
      closed = true;
      await pools.closeAll();
    },
  };
}
