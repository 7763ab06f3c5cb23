// An OTLP/HTTP logs receiver on 127.0.0.1 for tests of telemd's export. Each
// request is decoded with the official protocol definitions
// (opentelemetry-proto, as the protobufjs code generated from it ships in
// @opentelemetry/otlp-transformer 0.57, the last version that had it; a
// devDependency under the alias otlp-transformer-protobufjs): protobuf bodies
// with decode(), JSON bodies with fromObject() after the OTLP/JSON rules
// (hex trace and span ids, either field-name spelling) and verify(). A JSON
// body must also satisfy the Cortex crash report schema
// (cortex-crash-report.schema.json, from the seed). A request that fails any
// check is answered 400 and recorded in `errors`.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Ajv } from 'ajv';

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: generated protobufjs code has no types we import here
const root: any = require('otlp-transformer-protobufjs/build/src/generated/root.js');
const Request = root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
const schema = JSON.parse(
  readFileSync(new URL('./cortex-crash-report.schema.json', import.meta.url), 'utf8'),
);
const validateSchema = new Ajv({ allErrors: true, strict: false }).compile(schema);

export interface ReceivedLog {
  readonly resource: Record<string, string>;
  readonly scope: { readonly name: string; readonly version?: string };
  readonly timeUnixNano: string;
  readonly severityNumber: number;
  readonly severityText: string;
  readonly body: string;
  readonly attributes: Record<string, string>;
  readonly traceId: string;
}

export interface OtlpReceiver extends AsyncDisposable {
  readonly url: string;
  readonly logs: ReceivedLog[];
  readonly requests: { contentType: string; encoding: string | undefined; records: number }[];
  readonly errors: string[];
  /** Answer the next requests with this status (e.g. 503) instead of decoding them; null = normal. */
  failWith(status: number | null): void;
  /** Stop listening (connections refused), and listen again on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  waitForLogs(n: number, timeoutMs?: number): Promise<ReceivedLog[]>;
}

const hexToBase64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

/** OTLP/JSON to what protobufjs' fromObject takes: ids hex -> base64, snake_case names -> lowerCamel. */
function toProtoJson(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => toProtoJson(v));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
        toProtoJson(v, k),
      ]),
    );
  }
  if ((key === 'traceId' || key === 'spanId') && typeof value === 'string') return hexToBase64(value);
  return value;
}

interface LooseRequest {
  readonly resourceLogs?: {
    readonly scopeLogs?: { readonly logRecords?: { readonly timeUnixNano?: unknown }[] }[];
  }[];
}

/** Every log record's timeUnixNano, in order. */
function timesOf(request: LooseRequest): unknown[] {
  return (request.resourceLogs ?? []).flatMap((rl) =>
    (rl.scopeLogs ?? []).flatMap((sl) => (sl.logRecords ?? []).map((lr) => lr.timeUnixNano ?? null)),
  );
}

// biome-ignore lint/suspicious/noExplicitAny: protobufjs toObject output
function flatten(attributes: any[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of attributes ?? []) out[kv.key] = kv.value?.stringValue ?? JSON.stringify(kv.value);
  return out;
}

function decode(body: Buffer, contentType: string): { logs: ReceivedLog[] } | { error: string } {
  let message: unknown;
  if (contentType.startsWith('application/x-protobuf')) {
    try {
      message = Request.decode(body);
    } catch (error) {
      return { error: `protobuf decode: ${(error as Error).message}` };
    }
  } else if (contentType.startsWith('application/json')) {
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (error) {
      return { error: `JSON: ${(error as Error).message}` };
    }
    if (!validateSchema(json))
      return { error: `crash report schema: ${JSON.stringify(validateSchema.errors)}` };
    try {
      message = Request.fromObject(toProtoJson(json));
    } catch (error) {
      return { error: `OTLP definitions: ${(error as Error).message}` };
    }
    const invalid = Request.verify(message);
    if (invalid) return { error: `OTLP definitions: ${invalid}` };
    // fromObject is lenient (a 64-bit field takes parseInt of any string): what it decoded must be
    // what was sent.
    const sent = JSON.stringify(timesOf(json as LooseRequest));
    const decoded = JSON.stringify(timesOf(Request.toObject(message, { longs: String })));
    if (sent !== decoded) return { error: `OTLP definitions: timeUnixNano ${sent} decodes as ${decoded}` };
  } else {
    return { error: `content-type ${contentType}` };
  }
  const object = Request.toObject(message, { longs: String, bytes: String, defaults: false });
  const logs: ReceivedLog[] = [];
  for (const rl of object.resourceLogs ?? []) {
    for (const sl of rl.scopeLogs ?? []) {
      for (const lr of sl.logRecords ?? []) {
        logs.push({
          resource: flatten(rl.resource?.attributes),
          scope: sl.scope ?? { name: '' },
          timeUnixNano: lr.timeUnixNano,
          severityNumber: lr.severityNumber,
          severityText: lr.severityText,
          body: lr.body?.stringValue,
          attributes: flatten(lr.attributes),
          traceId: Buffer.from(lr.traceId ?? '', 'base64').toString('hex'),
        });
      }
    }
  }
  return { logs };
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const logs: ReceivedLog[] = [];
  const requests: OtlpReceiver['requests'] = [];
  const errors: string[] = [];
  let failStatus: number | null = null;
  let waiters: (() => void)[] = [];
  const sockets = new Set<import('node:net').Socket>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (failStatus !== null) {
      res.writeHead(failStatus).end();
      return;
    }
    let body = Buffer.concat(chunks);
    const encoding = req.headers['content-encoding'];
    if (encoding === 'gzip') body = gunzipSync(body);
    const contentType = req.headers['content-type'] ?? '';
    const result =
      req.method === 'POST' && req.url === '/v1/logs'
        ? decode(body, contentType)
        : { error: `${req.method} ${req.url}` };
    if ('error' in result) {
      errors.push(result.error);
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: result.error }));
      return;
    }
    requests.push({ contentType, encoding, records: result.logs.length });
    logs.push(...result.logs);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    for (const wake of waiters) wake();
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      errors.push(String(error));
      res.writeHead(500).end();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  const receiver: OtlpReceiver = {
    url: `http://127.0.0.1:${port}/v1/logs`,
    logs,
    requests,
    errors,
    failWith(status) {
      failStatus = status;
    },
    async down() {
      const closed = once(server, 'close');
      server.close();
      for (const s of sockets) s.destroy();
      await closed;
    },
    async up() {
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
    },
    waitForLogs(n, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (logs.length < n) return false;
          clearTimeout(timer);
          waiters = waiters.filter((w) => w !== wake);
          resolve(logs);
          return true;
        };
        const timer = setTimeout(
          () => reject(new Error(`${logs.length} of ${n} OTLP logs; errors: ${errors.join(' | ')}`)),
          timeoutMs,
        );
        const wake = () => void check();
        if (!check()) waiters.push(wake);
      });
    },
    async [Symbol.asyncDispose]() {
      if (server.listening) await receiver.down();
    },
  };
  return receiver;
}
