// The page frame every view shares: navigation, stylesheet, chart scripts.
import { CSRF_FIELD } from './csrf.ts';
import { type Html, html } from './html.ts';

export const BASE = '/telemetryui';

export interface PageContext {
  /** A fresh CSRF token for the forms on this page. */
  csrf: string;
  notice?: string | undefined;
}

const NAV: [string, string][] = [
  ['records', 'Records'],
  ['builds', 'Builds'],
  ['stats', 'Stats'],
  ['crashes', 'Crashes'],
  ['mce', 'MCE'],
  ['thermal', 'Thermal'],
  ['population', 'Population'],
  ['updates', 'Updates'],
];

export function page(ctx: PageContext, current: string, title: string, body: Html, charts = false): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} - Telemetry</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${BASE}/static/style.css">
${charts ? html`<script src="${BASE}/static/chart.umd.min.js" defer></script><script src="${BASE}/static/charts.js" defer></script>` : ''}
</head><body>
<header><span class="brand">Telemetry</span><nav>${NAV.map(
    ([path, label]) =>
      html`<a href="${BASE}/${path}"${path === current ? html` class="current"` : ''}>${label}</a>`,
  )}</nav></header>
<main>
${ctx.notice ? html`<p class="notice" role="status">${ctx.notice}</p>` : ''}
${body}
</main></body></html>`;
}

export function csrfInput(ctx: PageContext): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${ctx.csrf}">`;
}

export function errorBox(message: string): Html {
  return html`<p class="error" role="alert">${message}</p>`;
}

/** A count table that charts.js turns into a chart (it stays the data without JS). */
export function countTable(
  title: string,
  keyHead: string,
  rows: readonly (readonly [string, number])[],
  chart: 'pie' | 'bar',
  link?: (key: string) => string,
): Html {
  return html`<section class="panel"><h2>${title}</h2>
<table data-chart="${chart}" data-title="${title}"><thead><tr><th>${keyHead}</th><th class="num">Records</th></tr></thead>
<tbody>${rows.map(
    ([k, n]) =>
      html`<tr><td>${link ? html`<a href="${link(k)}">${k}</a>` : k}</td><td class="num">${n}</td></tr>`,
  )}</tbody></table></section>`;
}
