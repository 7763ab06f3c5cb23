// guilty_edit: the blacklist of frames that are never guilty (upstream's broken
// add/apply/reset routes work here: apply and reset reprocess the crash records).
import { type BacktraceFrame, neverGuilty } from '../backtrace.ts';
import { type Html, html } from '../html.ts';
import { BASE, csrfInput, type PageContext, page } from '../layout.ts';
import type { FuncMod } from '../queries/blacklist.ts';
import type { Guilty } from '../queries/crashes.ts';
import { funcmod } from './crashes.ts';

const E = `${BASE}/crashes/guilty_edit`;
export const SEP = '||||';
const key = (f: FuncMod) => `${f.function}${SEP}${f.module}`;

export function blacklistPage(ctx: PageContext, list: FuncMod[], candidates: FuncMod[]): Html {
  const listed = new Set(list.map(key));
  const body = html`<h1>Guilty blacklist</h1>
<p class="muted">Frames listed here are never chosen as the guilty of a crash. Changes take effect for new crashes; "Apply" reprocesses every crash record.</p>
<table id="blacklist"><thead><tr><th>Function - [module]</th><th></th></tr></thead><tbody>${list.map(
    (
      f,
    ) => html`<tr><td>${funcmod(f)}</td><td><form class="inline" method="post" action="${E}/remove">${csrfInput(ctx)}
<input type="hidden" name="funcmod" value="${key(f)}"><button type="submit">Remove</button></form></td></tr>`,
  )}</tbody></table>
${list.length === 0 ? html`<p class="muted">The blacklist is empty.</p>` : ''}
<h2>Add</h2>
<form method="post" action="${E}/add">${csrfInput(ctx)}
<select name="funcmod" aria-label="frame">${candidates
    .filter((f) => !listed.has(key(f)))
    .map((f) => html`<option value="${key(f)}">${funcmod(f)}</option>`)}</select>
<button type="submit">Add</button></form>
<form method="post" action="${E}/add">${csrfInput(ctx)}
<input name="function" placeholder="function, e.g. abort()" aria-label="function"> <input name="module" placeholder="module, e.g. libc.so.6" aria-label="module">
<button type="submit">Add</button></form>
<h2>Apply</h2>
<form method="post" action="${E}/reset">${csrfInput(ctx)}<input type="hidden" name="confirm" value="yes">
<button type="submit" id="apply-all">Apply the blacklist to every crash record (reprocess)</button></form>
<p><a href="${E}/hidden">Hidden guilties</a></p>`;
  return page(ctx, 'crashes', 'Guilty blacklist', body);
}

export function editOnePage(
  ctx: PageContext,
  recordId: number,
  frames: readonly BacktraceFrame[],
  list: FuncMod[],
  current?: Guilty,
): Html {
  const listed = new Set(list.map(key));
  const choices = frames.filter((f) => !neverGuilty(f));
  const body = html`<h1>Blacklist frames of record <a href="${BASE}/records/record_details/${recordId}">${recordId}</a></h1>
<p>Current guilty: <strong id="current-guilty">${current ? funcmod(current) : 'none'}</strong></p>
<form method="post" action="${E}/?record_id=${recordId}">${csrfInput(ctx)}
<ul class="frames">${choices.map(
    (
      f,
    ) => html`<li${current && f.function === current.function && f.module === current.module ? html` class="guilty"` : ''}><label>
<input type="checkbox" name="frames" value="${key(f)}"${listed.has(key(f)) ? html` checked` : ''}> ${funcmod(f)}</label></li>`,
  )}</ul>
<button type="submit" name="apply" value="1">Update the blacklist and reprocess</button>
</form>`;
  return page(ctx, 'crashes', 'Blacklist frames', body);
}

export function hiddenPage(ctx: PageContext, hidden: Guilty[]): Html {
  const body = html`<h1>Hidden guilties</h1>
<table id="hidden"><thead><tr><th>Guilty</th><th></th></tr></thead><tbody>${hidden.map(
    (g) => html`<tr><td><a href="${BASE}/crashes/guilty_details/${g.id}">${funcmod(g)}</a></td><td>
<form class="inline" method="post" action="${E}/hidden">${csrfInput(ctx)}<input type="hidden" name="guilty_id" value="${g.id}"><button type="submit">Unhide</button></form></td></tr>`,
  )}</tbody></table>
${hidden.length === 0 ? html`<p class="muted">No hidden guilties.</p>` : ''}`;
  return page(ctx, 'crashes', 'Hidden guilties', body);
}
