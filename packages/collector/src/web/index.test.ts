// The handler's own answers on a real SQLite database and a loopback server: unknown
// paths, methods, CSRF, oversized forms, bad filters, static assets, security headers.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { issueCsrfToken } from './csrf.ts';
import { openTempDb, type ServedViews, serveWebViews, type TempDb } from './web.fixtures.ts';

const secret = randomBytes(32);
let temp: TempDb;
let site: ServedViews;
let base = '';

before(async () => {
  temp = await openTempDb();
  site = await serveWebViews(temp.db, secret);
  base = site.base;
});

after(async () => {
  await site.close();
  await temp.close();
});

const post = (p: string, body: string) =>
  fetch(`${base}${p}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });

test('every page carries the CSP, and unknown paths and methods are 404 and 405', async () => {
  const ok = await fetch(`${base}/records`);
  assert.equal(ok.status, 200);
  assert.match(
    ok.headers.get('content-security-policy') ?? '',
    /^default-src 'none'; script-src 'self'; style-src 'self'/,
  );
  assert.equal(ok.headers.get('x-frame-options'), 'DENY');
  assert.equal((await fetch(`${base}/nope`)).status, 404);
  assert.equal((await fetch(`${base}/records/record_details/99`)).status, 404);
  assert.equal((await fetch(`${base}/crashes/guilty_details/%E0`)).status, 404);
  assert.equal((await post('/builds', '')).status, 405);
});

test('a POST needs a fresh token of this process; an oversized form is 413', async () => {
  assert.equal((await post('/crashes', 'guilty_id=1&comment=x')).status, 403);
  const foreign = issueCsrfToken(randomBytes(32), Date.now() / 1000);
  assert.equal((await post('/crashes', `guilty_id=1&csrf_token=${foreign}`)).status, 403);
  const old = issueCsrfToken(secret, Date.now() / 1000 - 2 * 86400);
  assert.equal((await post('/crashes', `guilty_id=1&csrf_token=${old}`)).status, 403);
  const token = issueCsrfToken(secret, Date.now() / 1000);
  assert.equal((await post('/crashes', `guilty_id=999&comment=x&csrf_token=${token}`)).status, 404);
  assert.equal(
    (await post('/crashes', `guilty_id=1&comment=${'x'.repeat(81)}&csrf_token=${token}`)).status,
    400,
  );
  assert.equal((await post('/crashes', `x=${'a'.repeat(70 * 1024)}`)).status, 413);
});

test('a bad filter is a 400 page that names the field; the form keeps the value escaped', async () => {
  const res = await fetch(`${base}/records?payload=${encodeURIComponent('("><b>')}`);
  assert.equal(res.status, 400);
  const text = await res.text();
  assert.match(text, /payload: not a valid regular expression/);
  assert.match(text, /value="\(&quot;&gt;&lt;b&gt;"/);
});

test('static assets: Chart.js, the chart script and the stylesheet, with ETags', async () => {
  const chart = await fetch(`${base}/static/chart.umd.min.js`);
  assert.equal(chart.status, 200);
  assert.match(await chart.text(), /Chart\.js v4\./);
  const etag = chart.headers.get('etag') ?? '';
  assert.equal(
    (await fetch(`${base}/static/chart.umd.min.js`, { headers: { 'if-none-match': etag } })).status,
    304,
  );
  assert.equal(
    (await fetch(`${base}/static/charts.js`)).headers.get('content-type'),
    'text/javascript; charset=utf-8',
  );
  assert.equal((await fetch(`${base}/static/../index.ts`)).status, 404);
});

test('HEAD /records answers an ETag for polling; export redirects to the CSV', async () => {
  const head = await fetch(`${base}/records`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.match(head.headers.get('etag') ?? '', /^"/);
  const r = await fetch(`${base}/records?export=attach&severity=2`, { redirect: 'manual' });
  assert.equal(r.status, 302);
  assert.match(
    r.headers.get('location') ?? '',
    /^\/telemetryui\/records\/export\/records-[0-9]+\.csv\?severity=2&format_type=attach$/,
  );
});
