// Crashes: top guilties with comment and hide, guilty details and backtraces.
import { parseBacktrace } from '../backtrace.ts';
import { shortClass } from '../format.ts';
import { type Html, html } from '../html.ts';
import { BASE, countTable, csrfInput, type PageContext, page } from '../layout.ts';
import type { Count } from '../queries/aggregates.ts';
import type { Guilty, TopGuilty } from '../queries/crashes.ts';

export const funcmod = (g: { function: string; module: string }) => `${g.function} - [${g.module}]`;

function guiltyForm(ctx: PageContext, g: Guilty, action: string): Html {
  return html`<form class="inline guilty-form" method="post" action="${action}">${csrfInput(ctx)}
<input type="hidden" name="guilty_id" value="${g.id}">
<input name="comment" maxlength="80" size="24" value="${g.comment ?? ''}" aria-label="comment">
<select name="hidden" aria-label="hide"><option value="no"${g.hide ? '' : html` selected`}>shown</option><option value="yes"${g.hide ? html` selected` : ''}>hidden</option></select>
<button type="submit">Save</button></form>`;
}

export function crashesPage(
  ctx: PageContext,
  top: { builds: string[]; guilties: TopGuilty[] },
  charts: { perClass: Count[]; perBuild: Count[] } | null,
  build?: string,
): Html {
  const action = build === undefined ? `${BASE}/crashes` : `${BASE}/crashes/${encodeURIComponent(build)}`;
  const body = html`<h1>Crashes${build === undefined ? '' : html` in build ${build}`}</h1>
<p><a href="${BASE}/crashes/guilty_edit/">Guilty blacklist</a> · <a href="${BASE}/crashes/guilty_edit/hidden">Hidden guilties</a></p>
${
  charts
    ? html`${countTable(
        'Crash records per class',
        'Class',
        charts.perClass.map((c) => [shortClass(c.key), c.count] as const),
        'pie',
      )}
${countTable(
  'Crash records per build',
  'Build',
  charts.perBuild.map((c) => [c.key, c.count] as const),
  'bar',
  (b) => `${BASE}/crashes/${encodeURIComponent(b)}`,
)}`
    : ''
}
${guiltiesSection(ctx, top.builds, top.guilties, action, 0)}`;
  return page(ctx, 'crashes', 'Crashes', body, charts !== null);
}

/** The top-guilties table; `first` is the rank (0-based) of its first row. */
function guiltiesSection(
  ctx: PageContext,
  builds: string[],
  guilties: TopGuilty[],
  action: string,
  first: number,
  nav: Html | string = '',
): Html {
  return html`<section><h2>Top guilties of the last 7 days</h2>${nav}
<table id="guilties"><thead><tr><th class="rank">#</th><th>Guilty</th><th class="num">Total</th>${builds.map(
    (b) => html`<th class="num"><a href="${BASE}/crashes/${encodeURIComponent(b)}">${b}</a></th>`,
  )}<th>Comment / hide</th></tr></thead>
<tbody>${guilties.map(
    (
      g,
      i,
    ) => html`<tr data-guilty-id="${g.id}"><td class="rank">${first + i + 1}</td><td><a class="guilty" href="${BASE}/crashes/guilty_details/${g.id}">${funcmod(g)}</a></td>
<td class="num">${g.total}</td>${builds.map((b) => html`<td class="num">${g.perBuild.get(b) ?? ''}</td>`)}
<td>${guiltyForm(ctx, g, action)}</td></tr>`,
  )}</tbody></table>
${guilties.length === 0 ? html`<p class="muted">No crashes with a guilty frame in the last 7 days${first > 0 ? ' past this rank' : ''}.</p>` : ''}</section>`;
}

/** Guilties per page of `/crashes/offset/<n>`, as upstream (its page n starts at rank 10 n + 1). */
export const OFFSET_PAGE = 10;

/** Upstream's `/crashes/offset/<n>`: the top guilties ranked 10 n + 1 to 10 n + 10, with
 *  links to the pages before and after (upstream answered a bare fragment of table rows for a
 *  script to append; here it is a page that works without JavaScript). */
export function crashesOffsetPage(
  ctx: PageContext,
  top: { builds: string[]; guilties: TopGuilty[] },
  n: number,
): Html {
  const first = n * OFFSET_PAGE;
  const rows = top.guilties.slice(first, first + OFFSET_PAGE);
  const link = (k: number, rel: string, text: string) =>
    html`<a rel="${rel}" id="${rel}-page" href="${BASE}/crashes/offset/${k}">${text}</a>`;
  const nav = html`<p class="pager">${n > 0 ? link(Math.min(n - 1, Math.floor(Math.max(top.guilties.length - 1, 0) / OFFSET_PAGE)), 'prev', '← previous') : ''}
 Guilties ${rows.length === 0 ? 'none' : `${first + 1}-${first + rows.length}`} of ${top.guilties.length}
 ${first + OFFSET_PAGE < top.guilties.length ? link(n + 1, 'next', 'next →') : ''}</p>`;
  const body = html`<h1>Crashes</h1>
<p><a href="${BASE}/crashes">All top guilties, with charts</a></p>
${guiltiesSection(ctx, top.builds, rows, `${BASE}/crashes/offset/${n}`, first, nav)}`;
  return page(ctx, 'crashes', `Crashes from ${first + 1}`, body);
}

export function guiltyDetailsPage(
  ctx: PageContext,
  g: Guilty,
  machines: { build: string; machine_id: string; count: number }[],
): Html {
  const bt = (q: string) => `${BASE}/crashes/guilty_details/${g.id}/backtraces${q}`;
  const body = html`<h1>Guilty <span id="funcmod">${funcmod(g)}</span></h1>
<p>${g.hide ? html`<strong id="hidden-state">Hidden</strong> from the top guilties.` : html`<span id="hidden-state">Shown</span> in the top guilties.`}
${guiltyForm(ctx, g, `${BASE}/crashes/guilty_details/${g.id}`)}</p>
<p><a id="all-backtraces" href="${bt('')}">Backtraces (up to 50)</a></p>
<table id="guilty-machines"><thead><tr><th>Build</th><th>Machine ID</th><th class="num">Records</th><th></th></tr></thead>
<tbody>${machines.map(
    (m) => html`<tr><td>${m.build}</td><td>${m.machine_id}</td><td class="num">${m.count}</td>
<td><a href="${bt(`?machine_id=${encodeURIComponent(m.machine_id)}&build=${encodeURIComponent(m.build)}`)}">backtraces</a></td></tr>`,
  )}</tbody></table>
${machines.length === 0 ? html`<p class="muted">No clear-linux-os records.</p>` : ''}`;
  return page(ctx, 'crashes', funcmod(g), body);
}

export function backtracesPage(
  ctx: PageContext,
  g: Guilty,
  rows: { id: unknown; payload: string; build: string; machine_id: string | null }[],
): Html {
  const body = html`<h1>Backtraces of <a href="${BASE}/crashes/guilty_details/${g.id}">${funcmod(g)}</a></h1>
<p class="muted">${rows.length} backtrace${rows.length === 1 ? '' : 's'} (at most 50); the guilty frame is highlighted.</p>
${rows.map((r) => {
  const bt = parseBacktrace(r.payload, g);
  return html`<div class="backtrace"><p><a href="${BASE}/records/record_details/${String(r.id)}">record ${String(r.id)}</a>
 · build ${r.build} · machine ${r.machine_id ?? ''} · ${bt.process ?? ''}${bt.signal ? ` · signal ${bt.signal}` : ''}
 · <a href="${BASE}/crashes/guilty_edit/?record_id=${String(r.id)}&amp;guilty_id=${g.id}">edit blacklist</a></p>
<ol class="frames">${bt.frames.map(
    (f, i) => html`<li${f.guilty ? html` class="guilty"` : ''}>#${i} ${f.display}</li>`,
  )}</ol></div>`;
})}`;
  return page(ctx, 'crashes', 'Backtraces', body);
}
