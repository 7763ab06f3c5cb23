// The web views give the same answers on SQLite and on PostgreSQL: the same records are
// posted to the real collector's ingestion endpoint (POST /v2/collector, the upstream header
// API) on each database, then every view is fetched and compared, after masking what
// legitimately differs (CSRF tokens, ages, receipt times). A few answers are also pinned.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessCollector } from '../collector/in-process.ts';
import { inCI, lacks } from '../helpers/need.ts';
import { postgresAvailable, type PostgresCluster, startPostgres } from '../helpers/postgres.ts';
import { readVector } from '../helpers/vectors.ts';

const TID = '6907c830-eed9-4ce9-81ae-76daf8d88f0f';
const NOW = Math.floor(Date.now() / 1000);
const DAY = 86400;

interface Rec {
  classification: string;
  severity?: number;
  build?: string;
  system?: string;
  machine: string;
  ageDays?: number;
  external?: boolean;
  payload: string;
}

const crash = (name: string) => readVector(`crash/payloads/v2.4.3-${name}.payload.txt`).toString('utf8');

const RECORDS: Rec[] = [
  { classification: 'org.clearlinux/heartbeat/ping', machine: 'a', build: '41000', payload: 'hb' },
  {
    classification: 'org.clearlinux/heartbeat/ping',
    machine: 'a',
    build: '41000',
    ageDays: 2,
    payload: 'hb',
  },
  {
    classification: 'org.clearlinux/heartbeat/ping',
    machine: 'b',
    build: '41000',
    ageDays: 5,
    external: true,
    payload: 'hb',
  },
  {
    classification: 'org.clearlinux/heartbeat/ping',
    machine: 'c',
    build: '41010',
    ageDays: 20,
    payload: 'hb',
  },
  {
    classification: 'org.clearlinux/heartbeat/ping',
    machine: 'd',
    build: '12',
    system: 'debian',
    payload: 'hb',
  },
  {
    classification: 'org.clearlinux/crash/clr',
    severity: 3,
    machine: 'a',
    build: '41000',
    payload: crash('crashme-g'),
  },
  {
    classification: 'org.clearlinux/crash/clr',
    severity: 3,
    machine: 'b',
    build: '41010',
    payload: crash('crashme-g'),
  },
  {
    classification: 'org.clearlinux/crash/clr',
    severity: 3,
    machine: 'b',
    build: '41010',
    payload: crash('crashme-mt'),
  },
  {
    classification: 'org.clearlinux/crash/clr',
    severity: 3,
    machine: 'c',
    build: '41000',
    payload: crash('crashme-strip'),
  },
  {
    classification: 'org.clearlinux/crash/unknown',
    severity: 2,
    machine: 'c',
    build: '41000',
    payload: 'Crash from third party\n',
  },
  {
    classification: 'org.clearlinux/mce/corrected',
    severity: 2,
    machine: 'a',
    build: '41000',
    payload: 'STATUS 9c00000000010090 MCGSTATUS 0\n',
  },
  {
    classification: 'org.clearlinux/mce/thermal',
    severity: 2,
    machine: 'a',
    build: '41000',
    payload: 'thermal\n',
  },
  {
    classification: 'org.clearlinux/swupd-client/update',
    machine: 'c',
    build: '41000',
    payload: 'a\nb\ncurrent_version=41000\nserver_version=41010\n',
  },
  {
    classification: 'org.clearlinux/hello/world',
    machine: 'd',
    build: '12',
    system: 'debian',
    payload: 'it_is 100% _odd_ [x]\n',
  },
  {
    classification: 'org.clearlinux_x/hello/world',
    machine: 'd',
    build: '12',
    system: 'debian',
    payload: 'underscore class\n',
  },
];

async function post(c: InProcessCollector, r: Rec): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${c.port}/v2/collector`, {
    method: 'POST',
    headers: {
      'X-Telemetry-TID': TID,
      record_format_version: '4',
      severity: String(r.severity ?? 1),
      classification: r.classification,
      machine_id: r.machine.repeat(32),
      creation_timestamp: String(NOW - Math.round((r.ageDays ?? 0) * DAY)),
      arch: 'x86_64',
      host_type: r.machine === 'a' ? 'Intel|NUC|1' : 'QEMU|pc|2',
      build: `"${r.build ?? '41000'}"`,
      kernel_version: '6.1.0-18-amd64',
      payload_format_version: '1',
      system_name: r.system ?? 'clear-linux-os',
      board_name: 'b',
      cpu_model: 'c',
      bios_version: 'v',
      event_id: 'e'.repeat(32),
      ...(r.external ? { 'X-CLR-External': 'true' } : {}),
      'content-type': 'application/text',
    },
    body: r.payload,
  });
  assert.equal(res.status, 201, await res.text());
}

const PAGES = [
  '/records',
  '/records?classification=org.clearlinux%2F*',
  '/records?classification=org.clearlinux%2Fcrash%2F*&severity=3',
  '/records?classification=org.clearlinux_x%2F*',
  '/records?payload=100%25+_odd_',
  '/records?payload=item_length&not_payload=crashme-mt',
  '/records?data_source=external',
  '/records?data_source=internal&build=41000',
  '/records?machine_id=' + 'b'.repeat(32),
  '/records/lastid/5',
  '/records/record_details/6',
  '/records/export/records-1.csv?format_type=inline&classification=org.clearlinux%2Fcrash%2F*',
  '/builds',
  '/stats',
  '/crashes',
  '/crashes/41010',
  '/crashes/guilty_details/1',
  '/crashes/guilty_details/1/backtraces',
  '/crashes/guilty_edit/',
  '/crashes/guilty_edit/?record_id=6',
  '/crashes/guilty_edit/hidden',
  '/mce',
  '/thermal',
  '/population',
  '/updates',
];

/** Masks what differs between two runs: tokens, ages, receipt times. */
function normalise(text: string): string {
  return text
    .replace(/name="csrf_token" value="[^"]*"/g, 'name="csrf_token" value=""')
    .replace(/<td title="[^"]*">[^<]*<\/td>/g, '<td>AGE</td>')
    .replace(/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC \([0-9.]+\)/g, 'TIME')
    .replace(/^("[0-9]+","(?:True|False)",)"[0-9.]+"/gm, '$1"TS"');
}

async function pages(c: InProcessCollector): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const p of PAGES) {
    const res = await fetch(`http://127.0.0.1:${c.port}/telemetryui${p}`);
    assert.equal(res.status, 200, p);
    out.set(p, normalise(await res.text()));
  }
  return out;
}

let pg: PostgresCluster | undefined;
const answers = new Map<string, Map<string, string>>();

before(async () => {
  const urls: [string, string | undefined][] = [['sqlite', undefined]];
  if (postgresAvailable() || inCI) {
    pg = await startPostgres();
    urls.push(['postgres', await pg.createDatabase()]);
  }
  for (const [name, url] of urls) {
    await using c = await startInProcess(url);
    for (const r of RECORDS) await post(c, r);
    answers.set(name, await pages(c));
  }
});

after(async () => {
  await pg?.[Symbol.asyncDispose]();
});

const rowCount = (page: string | undefined) =>
  (page?.match(/<a href="\/telemetryui\/records\/record_details\//g) ?? []).length;

describe('web views on SQLite and PostgreSQL', () => {
  it('pins what a person looks for (SQLite)', () => {
    const s = answers.get('sqlite')!;
    assert.equal(rowCount(s.get('/records')), RECORDS.length);
    // `*` is the only wildcard: `_` and `%` in the class are literal
    assert.equal(rowCount(s.get('/records?classification=org.clearlinux%2F*')), RECORDS.length - 1);
    assert.equal(rowCount(s.get('/records?classification=org.clearlinux_x%2F*')), 1);
    assert.equal(rowCount(s.get('/records?classification=org.clearlinux%2Fcrash%2F*&severity=3')), 4);
    assert.equal(rowCount(s.get('/records?payload=100%25+_odd_')), 1);
    assert.equal(rowCount(s.get('/records?payload=item_length&not_payload=crashme-mt')), 2);
    assert.equal(rowCount(s.get('/records?data_source=external')), 1);
    assert.equal(rowCount(s.get('/records/lastid/5')), 4);
    assert.match(
      s.get('/builds')!,
      />12<\/a><\/td><td class="num">3<\/td>[\s\S]*>41000<\/a><\/td><td class="num">9<\/td>[\s\S]*>41010<\/a><\/td><td class="num">3<\/td>/,
    );
    const crashes = s.get('/crashes')!;
    assert.match(
      crashes,
      /item_length\(\) - \[\/usr\/bin\/crashme-g\]<\/a><\/td>\n<td class="num">2<\/td><td class="num">1<\/td><td class="num">1<\/td>/,
    );
    assert.match(crashes, /__libc_start_call_main\(\) - \[libc\.so\.6\]/);
    // population: 41000 has a (internal) and b (external) overall, only a in the last day
    const pop = s.get('/population')!;
    assert.match(
      pop,
      /id="population-overall">[\s\S]*?<tr><td>41000<\/td><td class="num">1<\/td><td class="num">1<\/td><\/tr><tr><td>41010<\/td><td class="num">1<\/td><td class="num">0<\/td>/,
    );
    assert.match(
      pop,
      /id="population-one-week">[\s\S]*?<tr><td>41000<\/td><td class="num">1<\/td><td class="num">1<\/td><\/tr><\/tbody>/,
    );
    assert.match(
      pop,
      /id="population-one-day">[\s\S]*?<tr><td>41000<\/td><td class="num">1<\/td><td class="num">0<\/td><\/tr><\/tbody>/,
    );
    assert.doesNotMatch(pop, /<td>12<\/td>/);
  });

  it('every view answers the same on PostgreSQL as on SQLite', (t) => {
    const p = answers.get('postgres');
    if (lacks(t, p === undefined && "Debian's postgresql package is not installed")) return;
    const s = answers.get('sqlite')!;
    for (const page of PAGES) assert.equal(p?.get(page), s.get(page), page);
  });
});
