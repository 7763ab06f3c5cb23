// Placeholder for the web views (owned by the web-views helper, who replaces this file): every
// path under /telemetryui/ answers 404 until then. The interface is the contract's.
import type http from 'node:http';
import type { Db } from '../db/types.ts';

export interface WebDeps {
  db: Db;
  now?: () => number;
  csrfSecret: Buffer;
}

export function createWebHandler(
  _deps: WebDeps,
): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> {
  return async (_req, res) => {
    res.statusCode = 404;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end('the web views are not built into this collector yet\n');
  };
}
