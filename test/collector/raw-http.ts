// Test support: send exact request bytes over a real TCP socket and read one
// response (by Content-Length), and split a captured `.http` file into its
// parts. Used to replay the C client's captures byte for byte.
import net from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly reason: string;
  /** Lower-cased names. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Splits `HTTP/1.1 201 CREATED\r\nA: b\r\n\r\nbody` (a captured request or response). */
export function parseHttpMessage(bytes: Buffer): {
  startLine: string;
  headers: Map<string, string>;
  body: Buffer;
} {
  const end = bytes.indexOf(CRLFCRLF);
  if (end < 0) throw new Error('no end of headers');
  const lines = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { startLine: lines[0] ?? '', headers, body: bytes.subarray(end + 4) };
}

/** Writes `request` to host:port and resolves with the first complete response. */
export function sendRaw(port: number, request: Buffer, host = '127.0.0.1'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host });
    let buffered = Buffer.alloc(0);
    const fail = (err: Error): void => {
      socket.destroy();
      reject(err);
    };
    socket.on('error', fail);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf(CRLFCRLF);
      if (end < 0) return;
      const { startLine, headers } = parseHttpMessage(buffered);
      const length = Number(headers.get('content-length') ?? '0');
      if (buffered.length < end + 4 + length) return;
      socket.destroy();
      const [, status = '0', ...reason] = startLine.split(' ');
      resolve({
        status: Number(status),
        reason: reason.join(' '),
        headers,
        body: buffered.subarray(end + 4, end + 4 + length),
      });
    });
    socket.on('end', () =>
      fail(new Error(`connection closed before a complete response (${buffered.length} bytes)`)),
    );
    socket.write(request);
  });
}
