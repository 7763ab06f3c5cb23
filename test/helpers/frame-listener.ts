// A stand-in daemon socket for probe tests: a real unix socket server that
// records every connection's bytes and closes once the client has finished,
// as telemd does. `closeEarly` drops each connection without reading it,
// like a daemon that rejects a client; `holdOpen` reads everything but never
// closes, like a stuck daemon.
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';

export interface FrameListener extends AsyncDisposable {
  readonly path: string;
  /** One promise per accepted connection: all bytes the client sent. */
  readonly connections: Promise<Buffer>[];
}

export async function listenForFrames(
  path: string,
  options: { readonly closeEarly?: boolean; readonly holdOpen?: boolean } = {},
): Promise<FrameListener> {
  const connections: Promise<Buffer>[] = [];
  const open = new Set<Socket>();
  const serverOptions = {
    pauseOnConnect: options.closeEarly === true,
    allowHalfOpen: options.holdOpen === true,
  };
  const server = createServer(serverOptions, (socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => {});
    if (options.closeEarly === true) {
      connections.push(Promise.resolve(Buffer.alloc(0)));
      socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    connections.push(once(socket, 'end').then(() => Buffer.concat(chunks)));
  });
  server.listen(path);
  await once(server, 'listening');
  return {
    path,
    connections,
    async [Symbol.asyncDispose]() {
      for (const socket of open) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
