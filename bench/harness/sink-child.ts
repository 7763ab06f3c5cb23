// The HTTP sink as its own process (forked by sink.ts), so its CPU is not charged to the sender
// or the orchestrator. Answers every request 201 at once over keep-alive and counts records.
// In batch mode (reset with `batch`) it also advertises the batch endpoint of the collector's
// batch contract on every single-record answer, and answers POST /v2/collector/batch with a
// 201 entry per record (it parses the body, as a collector must, and stores nothing).
import http from 'node:http';

interface AwaitCommand {
  readonly cmd: 'await';
  readonly id: number;
  readonly count: number;
  readonly timeoutMs: number;
}
interface BatchMode {
  readonly maxRecords: number;
  readonly maxBytes: number;
}
type Command =
  | { readonly cmd: 'reset'; readonly id: number; readonly batch?: BatchMode }
  | AwaitCommand
  | { readonly cmd: 'close' };

const BATCH_PATH = '/v2/collector/batch';
let batchMode: BatchMode | undefined;

let count = 0;
let firstNs: bigint | null = null;
let lastNs: bigint | null = null;
let bytes = 0;
let waiter: { id: number; count: number; timer: NodeJS.Timeout } | null = null;

function reply(id: number, reached: boolean): void {
  process.send?.({
    id,
    reached,
    count,
    bytes,
    firstNs: firstNs?.toString() ?? null,
    lastNs: lastNs?.toString() ?? null,
  });
}

function checkWaiter(): void {
  if (waiter !== null && count >= waiter.count) {
    clearTimeout(waiter.timer);
    const { id } = waiter;
    waiter = null;
    reply(id, true);
  }
}

function counted(records: number): void {
  const now = process.hrtime.bigint();
  firstNs ??= now;
  lastNs = now;
  count += records;
  checkWaiter();
}

function answerBatch(body: Buffer, res: http.ServerResponse): void {
  let records: { id?: unknown }[] = [];
  try {
    records = (JSON.parse(body.toString('utf8')) as { records: { id?: unknown }[] }).records;
  } catch {
    res.writeHead(400, { 'content-length': '0' }).end();
    return;
  }
  const text = JSON.stringify({
    results: records.map((r, i) => ({ id: r.id, status: 201, record_id: count + i + 1 })),
  });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
  counted(records.length);
}

const server = http.createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
  const batch = batchMode !== undefined && req.url === BATCH_PATH;
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (batch) chunks.push(chunk);
  });
  req.on('end', () => {
    if (batch) return answerBatch(Buffer.concat(chunks), res);
    const headers: Record<string, string> = { 'content-length': '0' };
    if (batchMode)
      headers['x-telemetrics-batch'] =
        `${BATCH_PATH}; max-records=${batchMode.maxRecords}; max-bytes=${batchMode.maxBytes}`;
    res.writeHead(201, headers);
    res.end();
    if (req.method !== 'POST') return;
    counted(1);
  });
});
server.headersTimeout = 120_000;
server.requestTimeout = 120_000;

process.on('message', (message: Command) => {
  if (message.cmd === 'close') {
    server.close();
    server.closeAllConnections();
    process.disconnect();
    return;
  }
  if (message.cmd === 'reset') {
    batchMode = message.batch;
    count = 0;
    bytes = 0;
    firstNs = null;
    lastNs = null;
    reply(message.id, true);
    return;
  }
  if (waiter !== null) clearTimeout(waiter.timer);
  const { id } = message;
  waiter = {
    id,
    count: message.count,
    timer: setTimeout(() => {
      waiter = null;
      reply(id, false);
    }, message.timeoutMs),
  };
  checkWaiter();
});

// the orchestrator is gone (killed, interrupted): never outlive it
process.once('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ ready: true, port: typeof address === 'object' && address !== null ? address.port : 0 });
});
