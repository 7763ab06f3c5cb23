// Crashes routes: top guilties, per build, guilty details, backtraces, comment and hide.
import { cached } from '../cached.ts';
import { guilty, guiltyBacktraces, guiltyMachines, setComment, setHidden } from '../queries/crashes.ts';
import { BASE } from '../layout.ts';
import { redirect, sendHtml } from '../respond.ts';
import { type Request, type Route, route } from '../router.ts';
import { backtracesPage, crashesOffsetPage, crashesPage, guiltyDetailsPage } from '../views/crashes.ts';
import { badRequest, notFound } from './errors.ts';

const MAX_COMMENT = 80;

const topOf = (r: Request, build?: string) => cached.topGuilties(r.memo, r.db, r.nowS, build);

async function crashes(r: Request, build?: string): Promise<void> {
  const [top, charts] = await Promise.all([
    topOf(r, build),
    build === undefined ? cached.crashCharts(r.memo, r.db) : Promise.resolve(null),
  ]);
  sendHtml(r.res, 200, crashesPage(r.ctx, top, charts, build));
}

/** Upstream's POST /crashes: a comment (at most 80 characters) and the hide flag of one guilty. */
async function saveGuilty(r: Request, back: (id: number) => string): Promise<void> {
  const id = Number(r.form.get('guilty_id'));
  const comment = (r.form.get('comment') ?? '').trim();
  const hidden = r.form.get('hidden');
  if (!Number.isSafeInteger(id) || id <= 0) return badRequest(r, 'guilty_id: not a guilty id');
  if (comment.length > MAX_COMMENT) return badRequest(r, `comment: at most ${MAX_COMMENT} characters`);
  if (hidden !== null && hidden !== 'yes' && hidden !== 'no') return badRequest(r, 'hidden: yes or no');
  if (!(await setComment(r.db, id, comment === '' ? null : comment))) return notFound(r, 'No such guilty.');
  if (hidden !== null) await setHidden(r.db, id, hidden === 'yes');
  r.memo.invalidate('crashes:');
  redirect(r.res, `${back(id)}?done=${hidden === 'yes' ? 'hidden' : 'saved'}`);
}

/** `/crashes/offset/<n>`: one page of ten top guilties, from the same memoised list. */
async function offsetPage(r: Request): Promise<void> {
  const n = Number(r.params[0]);
  if (!Number.isSafeInteger(n)) return badRequest(r, 'offset: not a page number');
  sendHtml(r.res, 200, crashesOffsetPage(r.ctx, await topOf(r), n));
}

async function details(r: Request): Promise<void> {
  const g = await guilty(r.db, Number(r.params[0]));
  if (!g) return notFound(r, 'No such guilty.');
  sendHtml(r.res, 200, guiltyDetailsPage(r.ctx, g, await guiltyMachines(r.db, g.id)));
}

async function backtraces(r: Request): Promise<void> {
  const g = await guilty(r.db, Number(r.params[0]));
  if (!g) return notFound(r, 'No such guilty.');
  const q = r.url.searchParams;
  const rows = await guiltyBacktraces(
    r.db,
    g.id,
    q.get('machine_id') || undefined,
    q.get('build') || undefined,
  );
  sendHtml(r.res, 200, backtracesPage(r.ctx, g, rows));
}

export const crashRoutes: Route[] = [
  route('GET', '/crashes', (r) => crashes(r)),
  route('POST', '/crashes', (r) => saveGuilty(r, () => `${BASE}/crashes`)),
  route('GET', '/crashes/offset/:int', offsetPage),
  route('POST', '/crashes/offset/:int', (r) => saveGuilty(r, () => `${BASE}/crashes/offset/${r.params[0]}`)),
  route('GET', '/crashes/guilty_details/:int', details),
  route('POST', '/crashes/guilty_details/:int', (r) =>
    saveGuilty(r, (id) => `${BASE}/crashes/guilty_details/${id}`),
  ),
  route('GET', '/crashes/guilty_details/:int/backtraces', backtraces),
];

/** `/crashes/<build>` last, so that the fixed paths above win. */
export const crashBuildRoutes: Route[] = [
  route('GET', '/crashes/:seg', (r) => crashes(r, r.params[0])),
  route('POST', '/crashes/:seg', (r) =>
    saveGuilty(r, () => `${BASE}/crashes/${encodeURIComponent(r.params[0] ?? '')}`),
  ),
];
