// guilty_edit routes: the blacklist (add, remove, apply to one record's frames,
// reset = reprocess all) and the hidden guilties. Apply and reset call the
// collector's processCrashRecords, which upstream's UI had lost (HTML 500).
import { parseBacktrace } from '../backtrace.ts';
import { BASE } from '../layout.ts';
import {
  addToBlacklist,
  allFuncMods,
  blacklist,
  type FuncMod,
  removeFromBlacklist,
} from '../queries/blacklist.ts';
import { guilty, hiddenGuilties, recordPayload, setHidden } from '../queries/crashes.ts';
import { reprocessAll } from '../reprocess.ts';
import { redirect, sendHtml } from '../respond.ts';
import { type Request, type Route, route } from '../router.ts';
import { blacklistPage, editOnePage, hiddenPage, SEP } from '../views/blacklist.ts';
import { badRequest, notFound } from './errors.ts';

const E = `${BASE}/crashes/guilty_edit`;
const MAX_FIELD = 4096;

function parseFuncMod(value: string | null): FuncMod | null {
  if (!value) return null;
  const i = value.indexOf(SEP);
  if (i < 0) return null;
  return { function: value.slice(0, i), module: value.slice(i + SEP.length) };
}

function formFuncMod(r: Request): FuncMod | null {
  const picked = parseFuncMod(r.form.get('funcmod'));
  if (picked) return picked;
  const fn = (r.form.get('function') ?? '').trim();
  const mod = (r.form.get('module') ?? '').trim();
  return fn && mod.length <= MAX_FIELD && fn.length <= MAX_FIELD ? { function: fn, module: mod } : null;
}

async function index(r: Request): Promise<void> {
  const recordId = r.url.searchParams.get('record_id');
  const [list, candidates] = await Promise.all([blacklist(r.db), allFuncMods(r.db)]);
  if (!recordId) return sendHtml(r.res, 200, blacklistPage(r.ctx, list, candidates));
  const rec = await recordPayload(r.db, Number(recordId));
  if (!rec) return notFound(r, 'No such record.');
  const current = rec.guilty_id === null ? undefined : await guilty(r.db, Number(rec.guilty_id));
  const frames = parseBacktrace(rec.payload).frames;
  sendHtml(r.res, 200, editOnePage(r.ctx, Number(rec.id), frames, list, current));
}

/** Ticked frames of one backtrace join the blacklist, unticked ones leave it; then reprocess. */
async function editOne(r: Request): Promise<void> {
  const rec = await recordPayload(r.db, Number(r.url.searchParams.get('record_id')));
  if (!rec) return notFound(r, 'No such record.');
  const ticked = new Set(r.form.getAll('frames'));
  const frames = parseBacktrace(rec.payload).frames;
  for (const f of frames) {
    const fm = { function: f.function, module: f.module };
    if (ticked.has(`${f.function}${SEP}${f.module}`)) await addToBlacklist(r.db, fm);
    else await removeFromBlacklist(r.db, fm);
  }
  await reprocessAll(r.db);
  r.memo.invalidate('crashes:');
  redirect(r.res, `${E}/?record_id=${String(rec.id)}&done=applied`);
}

export const blacklistRoutes: Route[] = [
  route('GET', '/crashes/guilty_edit', index),
  route('GET', '/crashes/guilty_edit/', index),
  route('POST', '/crashes/guilty_edit/', editOne),
  ...['/add', '/remove', '/reset'].map((p) => route('GET', `/crashes/guilty_edit${p}`, index)),
  route('POST', '/crashes/guilty_edit/add', async (r) => {
    const fm = formFuncMod(r);
    if (!fm) return badRequest(r, 'Choose a frame, or give a function and a module.');
    const added = await addToBlacklist(r.db, fm);
    redirect(r.res, `${E}/?done=${added ? 'added' : 'exists'}`);
  }),
  route('POST', '/crashes/guilty_edit/remove', async (r) => {
    const fm = parseFuncMod(r.form.get('funcmod'));
    if (!fm) return badRequest(r, 'funcmod: missing');
    const removed = await removeFromBlacklist(r.db, fm);
    redirect(r.res, `${E}/?done=${removed ? 'removed' : 'absent'}`);
  }),
  route('POST', '/crashes/guilty_edit/reset', async (r) => {
    if (r.form.get('confirm') !== 'yes') return badRequest(r, 'confirm: must be yes');
    const n = await reprocessAll(r.db);
    r.memo.invalidate('crashes:');
    redirect(r.res, `${E}/?done=reprocessed&n=${n}`);
  }),
  route('GET', '/crashes/guilty_edit/hidden', async (r) =>
    sendHtml(r.res, 200, hiddenPage(r.ctx, await hiddenGuilties(r.db))),
  ),
  route('POST', '/crashes/guilty_edit/hidden', async (r) => {
    const id = Number(r.form.get('guilty_id') ?? String(r.form.get('funcmod') ?? '').split(':')[0]);
    if (!Number.isSafeInteger(id) || !(await setHidden(r.db, id, false)))
      return notFound(r, 'No such guilty.');
    r.memo.invalidate('crashes:');
    redirect(r.res, `${E}/hidden?done=unhidden`);
  }),
];
