// Builds, stats, population, MCE, thermal and update-matrix pages: tables that charts.js draws.
import { shortClass } from '../format.ts';
import { type Html, html } from '../html.ts';
import { BASE, countTable, type PageContext, page } from '../layout.ts';
import type { Count, PopulationRow } from '../queries/aggregates.ts';
import type { summariseMce, updateMatrix } from '../queries/mce.ts';

const pairs = (cs: readonly Count[]) => cs.map((c) => [c.key, c.count] as const);

export function buildsPage(ctx: PageContext, builds: Count[]): Html {
  const link = (b: string) => `${BASE}/records?build=${encodeURIComponent(b)}`;
  return page(
    ctx,
    'builds',
    'Builds',
    html`<h1>Builds</h1>${countTable('Records per build', 'Build', pairs(builds), 'bar', link)}`,
    true,
  );
}

export function statsPage(ctx: PageContext, perClass: Count[], perPlatform: Count[]): Html {
  const link = (c: string) => `${BASE}/records?classification=${encodeURIComponent(c)}`;
  const body = html`<h1>Stats</h1>
${countTable('Records per classification', 'Classification', pairs(perClass), 'pie', link)}
${countTable('Records per platform', 'Platform', pairs(perPlatform), 'pie')}`;
  return page(ctx, 'stats', 'Stats', body, true);
}

export function populationPage(
  ctx: PageContext,
  windows: { id: string; label: string; rows: PopulationRow[] }[],
): Html {
  const body = html`<h1>Population</h1>
<p class="muted">Distinct machine ids per build sending heartbeats (clear-linux-os). Machine ids rotate every 3 days, so the counts are approximate.</p>
${windows.map(
  (w) => html`<section class="panel" id="population-${w.id}"><h2>${w.label}</h2>
${
  w.rows.length === 0
    ? html`<p class="muted">No heartbeats.</p>`
    : html`<table data-chart="bar" data-title="${w.label}"><thead><tr><th>Build</th><th class="num">Internal</th><th class="num">External</th></tr></thead>
<tbody>${w.rows.map((r) => html`<tr><td>${r.build}</td><td class="num">${r.internal}</td><td class="num">${r.external}</td></tr>`)}</tbody></table>`
}</section>`,
)}`;
  return page(ctx, 'population', 'Population', body, true);
}

/** Upstream's "top 10" table; a fleet has thousands of machines. */
const MCE_TOP_MACHINES = 10;

export function mcePage(ctx: PageContext, s: ReturnType<typeof summariseMce>, year: number): Html {
  const builds = s.perBuild.map(([b]) => b);
  const weeks = [...new Set([...s.perWeek.values()].flatMap((m) => [...m.keys()]))].sort(
    (a, b) => Number(a) - Number(b),
  );
  const body = html`<h1>MCE</h1>
<p class="muted">Machine check records since 1 January ${year}.</p>
${countTable(
  'Records per class',
  'Class',
  s.perClass.map(([k, n]) => [shortClass(k), n] as const),
  'pie',
)}
${countTable('Records per build', 'Build', s.perBuild, 'bar')}
${countTable('Records per status', 'Status', s.perStatus, 'bar')}
<section><h2>Machines with the most MCE records</h2>
<table id="mce-machines"><thead><tr><th>Machine ID</th><th class="num">Records</th>${builds.map((b) => html`<th class="num">${b}</th>`)}</tr></thead>
<tbody>${s.machines
    .slice(0, MCE_TOP_MACHINES)
    .map(
      (m) =>
        html`<tr><td><a href="${BASE}/records?machine_id=${encodeURIComponent(m.machine_id)}&amp;classification=org.clearlinux%2Fmce%2F*">${m.machine_id}</a></td><td class="num">${m.total}</td>${builds.map(
          (b) => html`<td class="num">${m.builds.get(b) ?? ''}</td>`,
        )}</tr>`,
    )}</tbody></table></section>
${s.machines.length > MCE_TOP_MACHINES ? html`<p class="muted">and ${s.machines.length - MCE_TOP_MACHINES} more machines.</p>` : ''}
<section><h2>Records per week</h2>
<table id="mce-weeks" data-chart="bar" data-title="Records per week"><thead><tr><th>Week</th>${[...s.perWeek.keys()].map((c) => html`<th class="num">${shortClass(c)}</th>`)}</tr></thead>
<tbody>${weeks.map((w) => html`<tr><td>${w}</td>${[...s.perWeek.values()].map((m) => html`<td class="num">${m.get(w) ?? 0}</td>`)}</tr>`)}</tbody></table></section>`;
  return page(ctx, 'mce', 'MCE', body, true);
}

export function thermalPage(ctx: PageContext, weeks: [number, number][]): Html {
  const body = html`<h1>Thermal</h1>
<p class="muted">Thermal records per week of the year, over the last four weeks.</p>
${countTable(
  'Thermal records per week',
  'Week',
  weeks.map(([w, n]) => [`Week ${w}`, n] as const),
  'bar',
)}`;
  return page(ctx, 'thermal', 'Thermal', body, true);
}

export function updatesPage(ctx: PageContext, m: ReturnType<typeof updateMatrix>): Html {
  const vs = m.versions;
  const rowSum = (f: number) => vs.reduce((s, t) => s + m.count(f, t), 0);
  const colSum = (t: number) => vs.reduce((s, f) => s + m.count(f, t), 0);
  const body = html`<h1>Software updates</h1>
<p class="muted">Updates (swupd-client/update records) of the past seven days, from build (rows) to build (columns).</p>
${
  vs.length === 0
    ? html`<p class="muted">No update records.</p>`
    : html`<table id="update-matrix"><thead><tr><th>From / To</th>${vs.map((v) => html`<th class="num">${v}</th>`)}<th class="num">Sum</th></tr></thead>
<tbody>${vs.map((f) => html`<tr><th>${f}</th>${vs.map((t) => html`<td class="num">${m.count(f, t) || ''}</td>`)}<td class="num"><b>${rowSum(f)}</b></td></tr>`)}
<tr><th>Sum</th>${vs.map((t) => html`<td class="num"><b>${colSum(t)}</b></td>`)}<td></td></tr></tbody></table>`
}`;
  return page(ctx, 'updates', 'Updates', body);
}
