// A closed-loop HTTP/1.1 load generator: N keep-alive connections, each sending the next request
// as soon as its answer is complete (the "8 concurrent keep-alive clients" of issue 16). Raw
// sockets and pre-built request bytes, so the client costs little of the 2 cores it shares.
import net from 'node:net';

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  /** Answers by status code. */
  readonly statuses: ReadonlyMap<number, number>;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** Sends `total` requests over `connections` sockets; `request(i)` gives the i-th request's bytes. */
export async function closedLoop(
  port: number,
  connections: number,
  total: number,
  request: (i: number) => Buffer,
): Promise<LoadResult> {
  const statuses = new Map<number, number>();
  let next = 0;
  let done = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise<void>((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1');
          socket.setNoDelay(true);
          let buffered: Buffer = Buffer.alloc(0);
          const send = (): void => {
            if (next >= total) {
              socket.end();
              resolve();
              return;
            }
            socket.write(request(next++));
          };
          socket.on('connect', send);
          socket.on('error', reject);
          socket.on('data', (chunk: Buffer) => {
            buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
            for (;;) {
              const end = buffered.indexOf(HEAD_END);
              if (end < 0) return;
              const head = buffered.subarray(0, end).toString('latin1');
              const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? '0');
              if (buffered.length < end + 4 + length) return;
              const status = Number(head.slice(9, 12));
              statuses.set(status, (statuses.get(status) ?? 0) + 1);
              buffered = buffered.subarray(end + 4 + length);
              done++;
              send();
            }
          });
        }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { requests: done, seconds, statuses };
}
