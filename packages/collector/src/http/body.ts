// Reads a request body into memory up to a limit, and no further: past the limit the caller
// answers 413 and the connection is closed, so a client cannot make the collector buffer more
// than `limit` bytes per request. A budget shared by all requests bounds the bytes held at
// once (bodies read but not yet answered, e.g. while the database is slow): past it the caller
// answers 503 and the client retries later.
import type http from 'node:http';

export type BodyResult =
  | { readonly body: Buffer }
  | { readonly tooLarge: true }
  | { readonly overBudget: true }
  | { readonly aborted: true };

/** Bytes of request bodies held in memory across all requests. */
export class BodyBudget {
  readonly limit: number;
  #used = 0;
  constructor(limit: number) {
    this.limit = limit;
  }
  get used(): number {
    return this.#used;
  }
  take(bytes: number): boolean {
    if (this.#used + bytes > this.limit) return false;
    this.#used += bytes;
    return true;
  }
  give(bytes: number): void {
    this.#used -= bytes;
  }
}

/** Reads the body; the bytes taken from `budget` go back when `res` closes. */
export function readBody(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  limit: number,
  budget: BodyBudget,
): Promise<BodyResult> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) return Promise.resolve({ tooLarge: true });
  let held = 0;
  res.once('close', () => budget.give(held));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyResult): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        finish({ tooLarge: true });
        return;
      }
      if (!budget.take(chunk.length)) {
        req.pause();
        finish({ overBudget: true });
        return;
      }
      held += chunk.length;
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish({ body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) }));
    req.once('error', () => finish({ aborted: true }));
    req.once('close', () => finish({ aborted: true }));
  });
}
