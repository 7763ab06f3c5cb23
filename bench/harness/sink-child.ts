// The HTTP sink as its own process (forked by sink.ts), so its CPU is not charged to the sender
// or the orchestrator. Answers every request 201 at once over keep-alive and counts records.
import http from 'node:http';

interface AwaitCommand {
  readonly cmd: 'await';
  readonly id: number;
  readonly count: number;
  readonly timeoutMs: number;
}
type Command = { readonly cmd: 'reset'; readonly id: number } | AwaitCommand | { readonly cmd: 'close' };

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

const server = http.createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  req.on('end', () => {
    res.writeHead(201, { 'content-length': '0' });
    res.end();
    if (req.method !== 'POST') return;
    const now = process.hrtime.bigint();
    firstNs ??= now;
    lastNs = now;
    count++;
    checkWaiter();
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
