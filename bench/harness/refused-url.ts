// A server URL on 127.0.0.1 where nothing listens, so delivery fails fast and records stay spooled.
import { once } from 'node:events';
import net from 'node:net';

export async function refusedUrl(): Promise<string> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 9;
  server.close();
  await once(server, 'close');
  return `http://127.0.0.1:${port}/v2/collector`;
}
