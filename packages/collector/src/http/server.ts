// The listener: node:http with the bounds an open ingestion endpoint needs (header size and
// count, header/request/keep-alive timeouts, connection cap) and a drain for SIGTERM: stop
// accepting, let in-flight requests finish (their answers say Connection: close), then close.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ServerLimits {
  /** Most headers in one request; more answers 431. */
  readonly maxHeaders: number;
  readonly maxHeaderBytes: number;
  /** Time to receive a request's headers, ms. */
  readonly headersTimeoutMs: number;
  /** Time to receive a whole request, ms. */
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxHeaders: 100,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1024,
};

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export class CollectorListener {
  readonly server: http.Server;
  readonly #sockets = new Set<Socket>();
  readonly #open = new Set<http.ServerResponse>();
  #draining = false;
  #idle: (() => void)[] = [];

  constructor(handler: Handler, limits: ServerLimits = DEFAULT_LIMITS) {
    this.server = http.createServer(
      {
        maxHeaderSize: limits.maxHeaderBytes,
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        keepAliveTimeout: limits.keepAliveTimeoutMs,
      },
      (req, res) => {
        if (req.rawHeaders.length / 2 > limits.maxHeaders) {
          res.writeHead(431, { 'Content-Type': 'text/plain', Connection: 'close' });
          res.end('too many header fields\n');
          return;
        }
        this.#open.add(res);
        if (this.#draining) res.setHeader('Connection', 'close');
        res.once('close', () => {
          this.#open.delete(res);
          if (this.#open.size === 0) for (const w of this.#idle.splice(0)) w();
        });
        handler(req, res);
      },
    );
    // One more than the cap, so a request over it is seen (and refused) instead of truncated.
    this.server.maxHeadersCount = limits.maxHeaders + 1;
    this.server.maxConnections = limits.maxConnections;
    this.server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    // Malformed requests: 431 for too many or too large header fields, else 400; then close.
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      const status =
        err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      else socket.destroy();
    });
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host }, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Listens on an inherited socket (systemd socket activation: fd 3). */
  listenFd(fd: number): Promise<AddressInfo | string | null> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ fd }, () => resolve(this.server.address()));
    });
  }

  get inFlight(): number {
    return this.#open.size;
  }

  /** Stops accepting, waits up to timeoutMs for in-flight requests, then cuts what is left. */
  async drain(timeoutMs: number): Promise<{ cut: number }> {
    this.#draining = true;
    // Answers still to come close their connection, so keep-alive clients go too.
    for (const res of this.#open) if (!res.headersSent) res.setHeader('Connection', 'close');
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (this.#open.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#idle.push(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    }
    const cut = this.#open.size;
    for (const socket of this.#sockets) socket.destroy();
    await closed;
    return { cut };
  }
}
