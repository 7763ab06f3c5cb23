// The web views (telemetryui) of the collector: createWebHandler answers every
// request under /telemetryui/ once the collector has applied its access rule.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readsOf } from '../db/open.ts';
import type { Db } from '../db/types.ts';
import { CSRF_FIELD, checkCsrfToken, issueCsrfToken } from './csrf.ts';
import { blacklistRoutes } from './handlers/blacklist.ts';
import { crashBuildRoutes, crashRoutes } from './handlers/crashes.ts';
import { notFound } from './handlers/errors.ts';
import { overviewRoutes } from './handlers/overview.ts';
import { recordRoutes } from './handlers/records.ts';
import { html } from './html.ts';
import { BASE, page } from './layout.ts';
import { MEMO_TTL_MS, Memo } from './memo.ts';
import { BodyTooLarge, readForm, securityHeaders, sendHtml, sendText } from './respond.ts';
import { match, type Request, type Route } from './router.ts';
import { staticAsset } from './static.ts';
import { type WarmResult, warmAggregates } from './warm.ts';

export interface WebDeps {
  db: Db;
  now?: () => number;
  csrfSecret: Buffer;
}

const ROUTES: readonly Route[] = [
  ...recordRoutes,
  ...overviewRoutes,
  ...crashRoutes,
  ...blacklistRoutes,
  ...crashBuildRoutes,
];

/** What a redirect after a POST says (`?done=` names one of these; never free text). */
const NOTICES: Record<string, string> = {
  saved: 'Saved.',
  hidden: 'The guilty is hidden from the top guilties.',
  unhidden: 'The guilty is shown again.',
  added: 'Added to the blacklist.',
  exists: 'That frame is already blacklisted.',
  removed: 'Removed from the blacklist.',
  absent: 'That frame was not blacklisted.',
  applied: 'Blacklist updated and crash records reprocessed.',
  reprocessed: 'Crash records reprocessed with the blacklist.',
};

function notice(url: URL): string | undefined {
  const done = url.searchParams.get('done');
  const text = done ? NOTICES[done] : undefined;
  const n = url.searchParams.get('n');
  return text && n && /^[0-9]+$/.test(n) ? `${text} (${n} records)` : text;
}

function serveStatic(req: IncomingMessage, res: ServerResponse, name: string): void {
  const a = staticAsset(name);
  if (!a) {
    sendText(res, 404, 'not found\n');
    return;
  }
  if (req.headers['if-none-match'] === a.etag) {
    res.writeHead(304, { ETag: a.etag });
    res.end();
    return;
  }
  res.writeHead(200, {
    'Content-Type': a.type,
    'Content-Length': a.body.length,
    ETag: a.etag,
    'Cache-Control': 'max-age=3600',
  });
  res.end(req.method === 'HEAD' ? undefined : a.body);
}

export type WebHandler = ((req: IncomingMessage, res: ServerResponse) => Promise<void>) & {
  /** Computes the memoised aggregates in the background (warm.ts); the collector calls it
   *  once it listens. It settles when every aggregate is in memory, or at once when the
   *  database has no records. */
  warm(): Promise<WarmResult>;
};

/** Errors other than a bad request are thrown to the caller, the collector, which logs them
 *  and answers 500 (or cuts an answer already started, such as a CSV download). */
export function createWebHandler(deps: WebDeps): WebHandler {
  const nowMs = deps.now ?? Date.now;
  const memo = new Memo(MEMO_TTL_MS, nowMs);
  // SELECTs off the collector's thread on SQLite (db/sqlite-reads.ts); writes stay on deps.db.
  const db = readsOf(deps.db);
  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    securityHeaders(res);
    const url = new URL(req.url ?? '/', 'http://collector.invalid');
    const method = req.method ?? 'GET';
    const path = url.pathname.startsWith(BASE) ? url.pathname.slice(BASE.length) : url.pathname;
    const nowS = nowMs() / 1000;
    if (path.startsWith('/static/') && (method === 'GET' || method === 'HEAD')) {
      return serveStatic(req, res, path.slice('/static/'.length));
    }
    const r: Request = {
      db,
      req,
      res,
      url,
      params: [],
      nowS,
      ctx: { csrf: issueCsrfToken(deps.csrfSecret, nowS), notice: notice(url) },
      form: new URLSearchParams(),
      csrfSecret: deps.csrfSecret,
      memo,
    };
    try {
      let m: ReturnType<typeof match>;
      try {
        m = match(ROUTES, method, path);
      } catch {
        m = null; // a malformed %-escape in the path
      }
      if (m === null) return notFound(r);
      if (m === 'method') {
        res.setHeader('Allow', 'GET, HEAD, POST');
        return sendText(res, 405, 'method not allowed\n');
      }
      r.params = m.params;
      if (method === 'POST') {
        r.form = await readForm(req);
        if (!checkCsrfToken(deps.csrfSecret, r.form.get(CSRF_FIELD) ?? undefined, nowS)) {
          return sendHtml(
            res,
            403,
            page(
              r.ctx,
              '',
              'Forbidden',
              html`<h1>Forbidden</h1><p class="error">The form has expired or did not come from this collector (CSRF check). Reload the page and try again.</p>`,
            ),
          );
        }
      }
      await m.route.handler(r);
    } catch (e) {
      if (e instanceof BodyTooLarge) return sendText(res, 413, 'form too large\n');
      // The collector logs it (its log, its format) and answers 500, or cuts a started answer.
      throw e;
    }
  };
  return Object.assign(handler, { warm: () => warmAggregates(db, memo, () => nowMs() / 1000) });
}
