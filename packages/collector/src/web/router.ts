// A route table: method, path pattern (relative to /telemetryui), handler.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Db } from '../db/types.ts';
import type { PageContext } from './layout.ts';
import type { Memo } from './memo.ts';

export interface Request {
  db: Db;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: string[];
  nowS: number;
  ctx: PageContext;
  /** The POSTed form, CSRF already checked. */
  form: URLSearchParams;
  csrfSecret: Buffer;
  /** Whole-table aggregates, computed at most once a minute (memo.ts). */
  memo: Memo;
}

export type Handler = (r: Request) => Promise<void>;

export interface Route {
  method: 'GET' | 'POST';
  path: RegExp;
  handler: Handler;
}

export function route(method: 'GET' | 'POST', path: string, handler: Handler): Route {
  // `:int` and `:seg` name the captured parts; everything else is literal.
  const source = path
    .split('/')
    .map((p) =>
      p === ':int' ? '([0-9]{1,15})' : p === ':seg' ? '([^/]+)' : p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return { method, path: new RegExp(`^${source}$`), handler };
}

export function match(routes: readonly Route[], method: string, path: string) {
  let pathKnown = false;
  for (const r of routes) {
    const m = r.path.exec(path);
    if (!m) continue;
    pathKnown = true;
    if (r.method === method || (method === 'HEAD' && r.method === 'GET')) {
      return { route: r, params: m.slice(1).map((s) => decodeURIComponent(s)) };
    }
  }
  return pathKnown ? 'method' : null;
}
