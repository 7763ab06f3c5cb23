// Records list (with filters, load more, CSV buttons) and record details.
import { age, severityLabel, shortClass, utcTime } from '../format.ts';
import { type Html, html } from '../html.ts';
import { BASE, errorBox, type PageContext, page } from '../layout.ts';
import { type RecordFilter, filterQuery } from '../records-filter.ts';
import type { RecordRow } from '../queries/records.ts';

export interface RecordsModel {
  filter: RecordFilter;
  rows: RecordRow[];
  classChoices: string[];
  buildChoices: string[];
  nowS: number;
  error?: string;
  more: boolean;
}

function select(
  name: string,
  label: string,
  choices: readonly (readonly [string, string])[],
  value?: string,
): Html {
  return html`<label>${label}<select name="${name}"><option value="">All</option>${choices.map(
    ([v, text]) => html`<option value="${v}"${v === value ? html` selected` : ''}>${text}</option>`,
  )}</select></label>`;
}

function filterForm(m: RecordsModel): Html {
  const f = m.filter;
  const pairs = (xs: readonly string[]) => xs.map((x) => [x, x] as const);
  return html`<form class="filters" method="get" action="${BASE}/records">
${select('classification', 'Classification', pairs(m.classChoices), f.classification)}
${select('build', 'Build', pairs(m.buildChoices), f.build)}
${select(
  'severity',
  'Severity',
  [
    ['1', '1 - low'],
    ['2', '2 - med'],
    ['3', '3 - high'],
    ['4', '4 - crit'],
  ],
  f.severity === undefined ? undefined : String(f.severity),
)}
<label>Machine ID<input name="machine_id" value="${f.machine_id ?? ''}" size="20"></label>
<label>Payload matches (regex)<input name="payload" value="${f.payload ?? ''}" size="16"></label>
<label>Payload does not match<input name="not_payload" value="${f.not_payload ?? ''}" size="16"></label>
${select(
  'data_source',
  'Source',
  [
    ['external', 'External'],
    ['internal', 'Internal'],
  ],
  f.data_source,
)}
<button type="submit">Filter</button>
<button type="submit" name="export" value="inline">CSV (inline, 10000 rows)</button>
<button type="submit" name="export" value="attach">CSV (download)</button>
</form>`;
}

function row(r: RecordRow, nowS: number): Html {
  return html`<tr>
<td>${r.external ? 'external' : 'internal'}</td>
<td>${r.machine_id ?? ''}</td>
<td title="${utcTime(r.timestamp_server)}">${age(nowS - r.timestamp_server)}</td>
<td>${severityLabel(r.severity)}</td>
<td>${shortClass(r.classification)}</td>
<td>${r.system_name ?? ''}</td>
<td>${r.build}</td>
<td class="payload">${r.payload}</td>
<td><a href="${BASE}/records/record_details/${r.id}">details</a></td>
</tr>`;
}

export function recordsPage(ctx: PageContext, m: RecordsModel): Html {
  const q = filterQuery(m.filter).toString();
  const last = m.rows[m.rows.length - 1];
  const more =
    m.more && last
      ? html`<p><a id="load-more" href="${BASE}/records/lastid/${last.id}${q ? `?${q}` : ''}">Load more</a></p>`
      : '';
  const body = html`<h1>Records</h1>
${filterForm(m)}
${m.error ? errorBox(m.error) : ''}
<table id="records"><thead><tr><th>Source</th><th>Machine ID</th><th>Age</th><th>Severity</th><th>Classification</th><th>OS</th><th>Build</th><th>Payload</th><th></th></tr></thead>
<tbody>${m.rows.map((r) => row(r, m.nowS))}</tbody></table>
${m.rows.length === 0 ? html`<p class="muted">No records match.</p>` : ''}
${more}`;
  return page(ctx, 'records', 'Records', body);
}

const DETAIL_FIELDS = [
  'id',
  'external',
  'machine_id',
  'host_type',
  'architecture',
  'build',
  'system_name',
  'kernel_version',
  'classification',
  'severity',
  'record_version',
  'payload_version',
  'event_id',
  'board_name',
  'bios_version',
  'cpu_model',
  'timestamp_client',
  'timestamp_server',
  'processed',
] as const;

function detailValue(k: string, v: unknown): string {
  if (v === null || v === undefined) return '';
  if (k === 'timestamp_client' || k === 'timestamp_server') return `${utcTime(v)} (${String(v)})`;
  if (k === 'external' || k === 'processed') return v ? 'yes' : 'no';
  if (k === 'severity') return `${String(v)} - ${severityLabel(v)}`;
  return String(v);
}

export function recordDetailsPage(ctx: PageContext, r: Record<string, unknown>): Html {
  const gid = r.guilty_id;
  const guilty =
    gid === null || gid === undefined
      ? html`<dd class="muted">none</dd>`
      : html`<dd><a id="guilty-link" href="${BASE}/crashes/guilty_details/${String(gid)}">${String(r.guilty_function ?? '')} - [${String(r.guilty_module ?? '')}]</a>
 (<a href="${BASE}/crashes/guilty_edit/?record_id=${String(r.id)}&amp;guilty_id=${String(gid)}">edit blacklist from this backtrace</a>)</dd>`;
  const body = html`<h1>Record ${String(r.id)}</h1>
<dl class="details">${DETAIL_FIELDS.map((k) => html`<dt>${k}</dt><dd>${detailValue(k, r[k])}</dd>`)}
<dt>guilty</dt>${guilty}</dl>
<h2>Payload</h2><pre id="payload">${String(r.payload ?? '')}</pre>`;
  return page(ctx, 'records', `Record ${String(r.id)}`, body);
}
