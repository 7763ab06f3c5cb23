// The OTLP target: a Sink that batches the records it is given (the drain
// and live deliveries call deliver() several at a time) into one OTLP/HTTP
// request, and resolves each record's promise with that request's outcome.
// HTTP through undici, loaded lazily as deliver/http.ts does; the encoder
// (encode.ts, OpenTelemetry's serializers) is loaded on the first batch.
import { gzipSync } from 'node:zlib';
import type { Logger } from '@telemetrics/libtelemetry/log';
import type * as Undici from 'undici';
import { createInFlight } from '../../in-flight.ts';
import type { TelemRecord } from '../../record.ts';
import { UNDICI_V8_FLAGS } from '../http.ts';
import { classifyStatus } from '../outcome.ts';
import type { DeliveryOutcome, Sink } from '../sink.ts';
import { toLogInput } from './log-record.ts';
import type { OtlpSettings } from './settings.ts';

export interface OtlpSinkOptions {
  readonly settings: OtlpSettings;
  readonly logger: Logger;
  /** Records per request; default 64. */
  readonly maxBatch?: number;
  /** How long the first record of a batch waits for company; default 5 ms. */
  readonly lingerMs?: number;
  readonly now?: () => number;
}

interface Pending {
  readonly record: TelemRecord;
  readonly resolve: (outcome: DeliveryOutcome) => void;
}

type Encode = typeof import('./encode.ts').encodeLogs;
let encoderLoaded: Promise<Encode> | undefined;
let PoolClass: typeof Undici.Pool | undefined;

async function loadHttp(): Promise<typeof Undici.Pool> {
  if (PoolClass) return PoolClass;
  const v8 = process.getBuiltinModule('node:v8');
  for (const flag of UNDICI_V8_FLAGS) v8.setFlagsFromString(flag);
  const [pool, request] = await Promise.all([
    import('undici/lib/dispatcher/pool.js'),
    import('undici/lib/api/api-request.js'),
  ]);
  pool.default.prototype.request ??= request.default;
  PoolClass = pool.default;
  return PoolClass;
}

async function drain(body: AsyncIterable<Buffer>, limit: number): Promise<void> {
  let seen = 0;
  try {
    for await (const chunk of body) {
      seen += chunk.length;
      if (seen > limit) break;
    }
  } catch {}
}

export function createOtlpSink(options: OtlpSinkOptions): Sink {
  const { settings, logger } = options;
  const maxBatch = options.maxBatch ?? 64;
  const lingerMs = options.lingerMs ?? 5;
  const now = options.now ?? Date.now;
  const contentType = settings.protocol === 'http/protobuf' ? 'application/x-protobuf' : 'application/json';
  let queue: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  let pool: Undici.Pool | undefined;
  const inFlight = createInFlight();

  async function post(batch: readonly Pending[]): Promise<DeliveryOutcome> {
    encoderLoaded ??= import('./encode.ts').then((m) => m.encodeLogs);
    const encode = await encoderLoaded;
    const at = now();
    let body: Uint8Array = encode(
      batch.map((p) => toLogInput(p.record, at)),
      settings.protocol,
    );
    const headers: Record<string, string> = { ...settings.headers, 'content-type': contentType };
    if (settings.compression === 'gzip') {
      body = gzipSync(body);
      headers['content-encoding'] = 'gzip';
    }
    const Pool = await loadHttp();
    pool ??= new Pool(settings.url.origin, { connections: 2, connectTimeout: settings.timeoutMs });
    try {
      const response = await pool.request({
        method: 'POST',
        path: `${settings.url.pathname}${settings.url.search}`,
        headers,
        body,
        headersTimeout: settings.timeoutMs,
        bodyTimeout: settings.timeoutMs,
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      await drain(response.body, 65_536);
      const retryAfter = response.headers['retry-after'];
      return classifyStatus(
        response.statusCode,
        typeof retryAfter === 'string' ? retryAfter : undefined,
        now(),
      );
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return {
        kind: 'retryable',
        reason: `OTLP ${settings.url.origin}: ${code ?? (error as Error).message}`,
      };
    }
  }

  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(maxBatch);
      void inFlight.track(
        post(batch)
          .catch(
            (error: unknown): DeliveryOutcome => ({ kind: 'retryable', reason: `OTLP: ${String(error)}` }),
          )
          .then((outcome) => {
            logger.log(outcome.kind === 'delivered' ? 'debug' : 'warning', 'OTLP export', {
              records: batch.length,
              outcome: outcome.kind,
              reason: outcome.kind === 'delivered' ? undefined : outcome.reason,
            });
            for (const p of batch) p.resolve(outcome);
          }),
      );
    }
  }

  return {
    deliver(record) {
      return new Promise<DeliveryOutcome>((resolve) => {
        queue.push({ record, resolve });
        if (queue.length >= maxBatch) flush();
        else timer ??= setTimeout(flush, lingerMs);
      });
    },
    async close() {
      flush();
      await inFlight.settled();
      await pool?.close();
    },
  };
}
