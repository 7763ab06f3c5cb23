// The client side of batched delivery (request-batch.ts has the formats): remembers which
// collectors advertised the batch endpoint, splits records into requests within the advertised
// bounds, posts them on the default target's pool and turns the answer into one outcome per
// record. Whatever goes wrong with a batch as a whole that the records themselves may not be
// guilty of (400, 413, 404/405, another 4xx or 3xx, an answer not in the contract's shape
// with a 2xx), the records are posted one per POST instead, so each gets its own verdict.
// 408, 429 and 5xx and network failures are the collector's trouble: every record is retried.
import type { Logger } from '@telemetrics/libtelemetry/log';
import type * as Undici from 'undici';
import type { TelemRecord } from '../record.ts';
import { classifyStatus } from './outcome.ts';
import {
  type BatchAdvert,
  batchable,
  batchBody,
  batchBodyBytes,
  encodeBatchRecord,
  parseBatchAdvert,
  parseBatchResults,
} from './request-batch.ts';
import type { BatchItem, BatchLimit, DeliveryOutcome } from './sink.ts';
import type { HeaderPair } from './tid-header.ts';

export interface BatchTarget {
  readonly pool: Undici.Pool;
  readonly origin: string;
  readonly tid: HeaderPair | undefined;
}

export interface BatchClientOptions {
  readonly logger: Logger;
  readonly now: () => number;
  /** The default target once a single POST has prepared it; batches go only there. */
  readonly target: () => BatchTarget | undefined;
  /** One record per POST: the fallback. */
  readonly single: (record: TelemRecord, signal?: AbortSignal) => Promise<DeliveryOutcome>;
  /** For the reason of a timed-out batch. */
  readonly totalTimeoutMs: number;
  /** Bytes of a batch answer read before giving up on it (results are ~60 B per record). */
  readonly answerBytesPerRecord?: number;
}

export interface BatchClient {
  /** A single POST's answer from `origin` carried (or did not carry) the advertisement. */
  noteAdvert(origin: string, value: string | string[] | undefined): void;
  batchLimit(record: TelemRecord): BatchLimit | undefined;
  deliverBatch(items: readonly BatchItem[], signal?: AbortSignal): Promise<DeliveryOutcome[]>;
}

interface Chunk {
  readonly items: BatchItem[];
  readonly encoded: string[];
}

async function readText(body: AsyncIterable<Buffer>, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let seen = 0;
  for await (const chunk of body) {
    seen += chunk.length;
    if (seen > limit) return undefined; // leaving the loop destroys the body and its connection
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function createBatchClient(options: BatchClientOptions): BatchClient {
  const { logger } = options;
  const adverts = new Map<string, BatchAdvert>();
  // Advertised paths that answered 404/405: not used again while the daemon runs, or every
  // single POST would switch batching back on only for the next batch to fail the same way.
  const refused = new Set<string>();
  const said = new Set<string>();
  const perRecord = options.answerBytesPerRecord ?? 512;

  function sayOnce(key: string, level: 'notice' | 'warning', message: string, fields: object): void {
    if (said.has(key)) return;
    said.add(key);
    logger.log(level, message, fields as Record<string, string>);
  }

  function noteAdvert(origin: string, value: string | string[] | undefined): void {
    const advert = parseBatchAdvert(Array.isArray(value) ? value[0] : value);
    const known = adverts.get(origin);
    if (advert === undefined || refused.has(`${origin}${advert.path}`)) {
      if (known !== undefined) {
        adverts.delete(origin);
        logger.log('notice', 'collector no longer advertises batched delivery; one record per POST', {
          origin,
        });
      }
      return;
    }
    if (known === undefined)
      logger.log('info', 'collector advertises batched delivery', {
        origin,
        path: advert.path,
        max_records: advert.maxRecords,
        max_bytes: advert.maxBytes,
      });
    // A smaller max-records learned from a 413 stays until the collector says another number.
    if (
      known?.path === advert.path &&
      known.maxBytes === advert.maxBytes &&
      known.maxRecords < advert.maxRecords
    )
      return;
    adverts.set(origin, advert);
  }

  function batchLimit(record: TelemRecord): BatchLimit | undefined {
    if (record.cfgPath !== undefined) return undefined; // CFG: overrides name other targets
    const target = options.target();
    const advert = target && adverts.get(target.origin);
    if (!advert || !batchable(record)) return undefined;
    return { records: advert.maxRecords };
  }

  /** Split into requests within the advert's bounds; a record too big for any batch goes alone. */
  function split(items: readonly BatchItem[], advert: BatchAdvert): { chunks: Chunk[]; alone: BatchItem[] } {
    const chunks: Chunk[] = [];
    const alone: BatchItem[] = [];
    let current: Chunk = { items: [], encoded: [] };
    let bytes = 0;
    for (const item of items) {
      const text = encodeBatchRecord(item.id, item.record);
      const size = Buffer.byteLength(text);
      if (batchBodyBytes(size, 1) > advert.maxBytes) {
        alone.push(item);
        continue;
      }
      const full =
        current.items.length >= advert.maxRecords ||
        batchBodyBytes(bytes + size, current.items.length + 1) > advert.maxBytes;
      if (full && current.items.length > 0) {
        chunks.push(current);
        current = { items: [], encoded: [] };
        bytes = 0;
      }
      current.items.push(item);
      current.encoded.push(text);
      bytes += size;
    }
    if (current.items.length > 0) chunks.push(current);
    return { chunks, alone };
  }

  function singles(items: readonly BatchItem[], signal?: AbortSignal): Promise<DeliveryOutcome[]> {
    return Promise.all(items.map((i) => options.single(i.record, signal)));
  }

  function all(items: readonly BatchItem[], outcome: DeliveryOutcome): DeliveryOutcome[] {
    return items.map(() => outcome);
  }

  async function post(
    target: BatchTarget,
    advert: BatchAdvert,
    chunk: Chunk,
    signal?: AbortSignal,
  ): Promise<DeliveryOutcome[]> {
    const headers = ['content-type', 'application/json'];
    if (target.tid) headers.push(target.tid.name, target.tid.value);
    let response: Undici.Dispatcher.ResponseData;
    try {
      response = await target.pool.request({
        path: advert.path,
        method: 'POST',
        headers,
        body: batchBody(chunk.encoded),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      const err = error as Error & { code?: string };
      const reason =
        err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT'
          ? `batch timeout after ${options.totalTimeoutMs} ms (${err.code})`
          : `batch: ${err.code ?? err.name}: ${err.message}`;
      return all(chunk.items, { kind: 'retryable', reason });
    }
    const status = response.statusCode;
    const ids = chunk.items.map((i) => i.id);
    if (status === 200) {
      let text: string | undefined;
      try {
        text = await readText(response.body, 4096 + perRecord * ids.length);
      } catch (error) {
        // The answer was cut: whatever it said is unknown, so nothing counts as stored.
        return all(chunk.items, {
          kind: 'retryable',
          reason: `batch answer cut: ${(error as Error).message}`,
        });
      }
      const parsed =
        text === undefined
          ? { ok: false as const, detail: 'batch answer too long' }
          : parseBatchResults(text, ids);
      if (parsed.ok) return parsed.outcomes;
      sayOnce(
        `shape:${target.origin}`,
        'warning',
        'batch answer not understood; posting those records one by one',
        {
          origin: target.origin,
          detail: parsed.detail,
        },
      );
      return singles(chunk.items, signal);
    }
    await response.body.dump({ limit: 65_536 }).catch(() => {});
    const retryAfter = response.headers['retry-after'];
    const outcome = classifyStatus(
      status,
      Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
      options.now(),
    );
    if (status === 404 || status === 405) {
      refused.add(`${target.origin}${advert.path}`);
      if (adverts.get(target.origin) === advert) adverts.delete(target.origin);
      logger.log('notice', 'batch endpoint not served; one record per POST from now on', {
        origin: target.origin,
        path: advert.path,
        status,
      });
      return singles(chunk.items, signal);
    }
    if (status === 413 && chunk.items.length > 1) {
      const smaller = Math.max(1, Math.floor(chunk.items.length / 2));
      if (adverts.get(target.origin) === advert)
        adverts.set(target.origin, { ...advert, maxRecords: smaller });
      logger.log('notice', 'batch too large for the collector; sending smaller ones', {
        origin: target.origin,
        records: chunk.items.length,
        max_records: smaller,
      });
      return singles(chunk.items, signal);
    }
    if (outcome.kind === 'retryable' && (status === 408 || status === 429 || status >= 500))
      return all(chunk.items, { ...outcome, reason: `batch: ${outcome.reason}` });
    // 400 (body or TID refused, nothing stored), other 4xx, 3xx, a 2xx other than 200: let
    // each record get its own answer from the v2 endpoint.
    sayOnce(
      `status:${target.origin}:${status}`,
      'warning',
      'batch refused as a whole; posting those records one by one',
      {
        origin: target.origin,
        status,
      },
    );
    return singles(chunk.items, signal);
  }

  async function deliverBatch(items: readonly BatchItem[], signal?: AbortSignal): Promise<DeliveryOutcome[]> {
    const target = options.target();
    const advert = target && adverts.get(target.origin);
    if (!target || !advert) return singles(items, signal);
    const { chunks, alone } = split(items, advert);
    const results = new Map<BatchItem, DeliveryOutcome>();
    const settle = (part: readonly BatchItem[], outcomes: readonly DeliveryOutcome[]): void => {
      for (let i = 0; i < part.length; i++) results.set(part[i]!, outcomes[i]!);
    };
    await Promise.all([
      ...chunks.map(async (chunk) => settle(chunk.items, await post(target, advert, chunk, signal))),
      singles(alone, signal).then((outcomes) => settle(alone, outcomes)),
    ]);
    return items.map((item) => results.get(item) ?? { kind: 'retryable', reason: 'batch: no outcome' });
  }

  return { noteAdvert, batchLimit, deliverBatch };
}
