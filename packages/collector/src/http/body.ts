// Reads a request body into memory up to a limit, and no further: past the limit the caller
// answers 413 and the connection is closed, so a client cannot make the collector buffer more
// than `limit` bytes per request.
import type http from 'node:http';

export type BodyResult = { readonly body: Buffer } | { readonly tooLarge: true } | { readonly aborted: true };

export function readBody(req: http.IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) return Promise.resolve({ tooLarge: true });
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
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish({ body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) }));
    req.once('error', () => finish({ aborted: true }));
    req.once('close', () => finish({ aborted: true }));
  });
}
