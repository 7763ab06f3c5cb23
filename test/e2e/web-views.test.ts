// The web views in a real headless Chromium (Debian's chromium, driven by playwright-core),
// against the real collector filled by real deliveries: hprobe heartbeats and crashprobe
// crash records (from the crash vectors' cores) through telemd, from two fake Clear Linux
// machines (builds 41000 and 41010); MCE, thermal, update and hostile records sent to telemd's
// socket as a probe does. Nothing is written into the tables by the test.
// UPDATE_SCREENSHOTS=1 also writes docs/screenshots/*.png (CI leaves tracked files alone).
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitUntil } from '../helpers/poll.ts';
import { gunzipSync } from 'node:zlib';
import { decodeFrame, encodeFrame } from '@telemetrics/libtelemetry/wire';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type SpawnedCollector, spawnCollector } from '../helpers/collector-process.ts';
import { writeFakeMachine } from '../helpers/fake-machine.ts';
import { skipOutsideCI } from '../helpers/need.ts';
import { binPath, runBin } from '../helpers/run-bin.ts';
import { type SpawnedTelemd, sendFrame, spawnTelemd } from '../helpers/telemd.ts';
import { readVector, vectorPath } from '../helpers/vectors.ts';

const CHROMIUM = '/usr/bin/chromium';
const HPROBE = binPath('packages/hprobe/dist/hprobe.mjs');
const CRASHPROBE = binPath('packages/crashprobe/dist/crashprobe.mjs');
const SCREENSHOTS = binPath('docs/screenshots');
const NO_CHROMIUM = skipOutsideCI(
  !existsSync(CHROMIUM) && "Debian's chromium is not installed (apt-get install chromium)",
);

let dir = '';
let collector: SpawnedCollector;
const telemds: SpawnedTelemd[] = [];
let browser: Browser;
let context: BrowserContext;
let base = '';
let total = 0;

/** A fake Clear Linux machine: os-release gives system_name and build. */
function clearMachine(name: string, build: string): string {
  const root = writeFakeMachine(path.join(dir, name), {
    'proc/cpuinfo': 'processor\t: 0\nmodel name\t: Test CPU\n',
    'usr/lib/os-release': `NAME="Clear Linux OS"\nID=clear-linux-os\nVERSION_ID=${build}\n`,
  });
  for (const d of [root, path.join(root, 'proc'), path.join(root, 'usr'), path.join(root, 'usr/lib')])
    chmodSync(d, 0o755);
  return root;
}

/** telemd delivering to the collector, its socket and config open to the user crashprobe drops to. */
async function startTelemd(root: string): Promise<SpawnedTelemd & { build: string }> {
  const t = await spawnTelemd({ server: `${collector.url}/v2/collector`, host_root: root });
  writeFileSync(path.join(t.dir, 'opt-in'), '');
  chmodSync(t.dir, 0o755);
  chmodSync(t.socketPath, 0o777);
  chmodSync(t.configFile, 0o644);
  telemds.push(t);
  return Object.assign(t, {
    build: /VERSION_ID=([0-9]+)/.exec(readFileSync(path.join(root, 'usr/lib/os-release'), 'utf8'))![1]!,
  });
}

async function hprobe(t: SpawnedTelemd, args: string[]): Promise<void> {
  const r = await runBin(HPROBE, [...args, '-f', t.configFile]);
  assert.equal(r.code, 0, r.stderr);
  total++;
}

async function crashprobe(t: SpawnedTelemd, prog: string): Promise<void> {
  const core = gunzipSync(readVector(`crash/cores/${prog}.core.gz`));
  const args = ['-f', t.configFile, '-p', prog, '-E', `!usr!bin!${prog}`, '-s', '11'];
  args.push('--map-path', `/usr/bin/${prog}=${vectorPath(`crash/bin/${prog}`)}`);
  const r = await runBin(CRASHPROBE, args, { input: core });
  assert.equal(r.code, 0, r.stderr);
  total++;
}

/** A record as a probe sends it (the hprobe vector's headers with these changed). */
async function probeFrame(
  t: SpawnedTelemd & { build: string },
  classification: string,
  severity: string,
  payload: string,
): Promise<void> {
  const d = decodeFrame(readVector('socket/v2.4.3-hprobe.bin'));
  assert.ok(d.ok);
  const headers = {
    ...d.value.headers,
    classification,
    severity,
    build: t.build,
    system_name: 'clear-linux-os',
    creation_timestamp: String(Math.floor(Date.now() / 1000)),
    event_id: (total + 1).toString(16).padStart(32, '0'),
  };
  await sendFrame(t.socketPath, encodeFrame({ headers, payload: Buffer.from(payload) }));
  total++;
}

async function storedCount(): Promise<number> {
  const res = await fetch(`${collector.url}/telemetryui/records/export/records-1.csv?format_type=inline`);
  return (await res.text()).split('\n').filter((l) => l.startsWith('"')).length;
}

async function waitStored(n: number): Promise<void> {
  let have = 0;
  await waitUntil(
    async () => {
      have = await storedCount();
      return have >= n;
    },
    () => `${n} records at the collector (only ${have})`,
    120_000,
    100,
  );
}

const HOSTILE = '<script>document.title="pwned"</script><img src=x onerror="document.title=\'pwned\'">';

before(async () => {
  if (NO_CHROMIUM) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'telem-'));
  chmodSync(dir, 0o755);
  collector = await spawnCollector({ db: `sqlite:${path.join(dir, 'collector.db')}` });
  base = `${collector.url}/telemetryui`;
  const a = await startTelemd(clearMachine('root-a', '41000'));
  const b = await startTelemd(clearMachine('root-b', '41010'));
  await hprobe(a, ['-H']);
  await hprobe(a, ['-H']);
  await hprobe(b, ['-H']);
  await hprobe(a, []);
  await crashprobe(a, 'crashme-g');
  await crashprobe(a, 'crashme-g');
  await crashprobe(b, 'crashme-g');
  await crashprobe(a, 'crashme-mt');
  await probeFrame(
    a,
    'org.clearlinux/mce/corrected',
    '2',
    'CPU 0 BANK 5\nSTATUS 9c00000000010090 MCGSTATUS 0\n',
  );
  await probeFrame(a, 'org.clearlinux/mce/thermal', '2', 'CPU 0 thermal throttled\n');
  await probeFrame(
    b,
    'org.clearlinux/swupd-client/update',
    '1',
    'Filename: src/log.c\nLine: 615\ncurrent_version=41000\nserver_version=41010\n',
  );
  await probeFrame(a, 'org.clearlinux/hello/world', '1', HOSTILE);
  await waitStored(total);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
});

after(async () => {
  await context?.close();
  await browser?.close();
  for (const t of telemds) await t[Symbol.asyncDispose]();
  if (collector) await collector[Symbol.asyncDispose]();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A page that fails the test on any script error or CSP report (a CSP report means our own page broke the policy). */
async function open(url: string): Promise<Page & { problems: string[] }> {
  const page = Object.assign(await context.newPage(), { problems: [] as string[] });
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') page.problems.push(`console: ${m.text()}`);
  });
  const res = await page.goto(url);
  assert.equal(res?.status(), 200, url);
  return page;
}

async function screenshot(page: Page, name: string): Promise<void> {
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: a local knob to refresh the docs' images, not a build input.
  if (process.env['UPDATE_SCREENSHOTS'] !== '1') return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

const cellTexts = (page: Page, selector: string) => page.locator(selector).allTextContents();

describe('web views in Chromium', { skip: NO_CHROMIUM }, () => {
  it('crashes: the known guilty of crashme-g with its count per build, and crashme-mt', async () => {
    const page = await open(`${base}/crashes`);
    const row = page.locator('#guilties tbody tr', { hasText: 'item_length() - [/usr/bin/crashme-g]' });
    assert.equal(await row.count(), 1);
    const heads = await cellTexts(page, '#guilties thead th');
    assert.deepEqual(heads.slice(0, 5), ['#', 'Guilty', 'Total', '41010', '41000']);
    assert.deepEqual((await row.locator('td.num').allTextContents()).slice(0, 3), ['3', '1', '2']);
    const rank = await row.locator('td.rank').textContent();
    // upstream's /crashes/offset/0: the same ranking, ten at a time, no further page here
    await page.goto(`${base}/crashes/offset/0`);
    const paged = page.locator('#guilties tbody tr', { hasText: 'item_length() - [/usr/bin/crashme-g]' });
    assert.equal(await paged.locator('td.rank').textContent(), rank);
    assert.equal(await page.locator('#next-page').count(), 0);
    await page.goto(`${base}/crashes`);
    assert.equal(
      await page.locator('#guilties a.guilty', { hasText: 'worker_step() - [/usr/bin/crashme-mt]' }).count(),
      1,
    );
    await page.locator('.chart canvas').first().waitFor();
    assert.deepEqual(page.problems, []);
    await screenshot(page, 'crashes');
    await page.close();
  });

  it('guilty details by build and machine, then backtraces with the guilty frame highlighted', async () => {
    const page = await open(`${base}/crashes`);
    await page.locator('a.guilty', { hasText: 'item_length()' }).click();
    await page.waitForURL(/guilty_details\/[0-9]+$/);
    assert.equal(await page.locator('#funcmod').textContent(), 'item_length() - [/usr/bin/crashme-g]');
    const rows = await page.locator('#guilty-machines tbody tr').allInnerTexts();
    assert.equal(rows.length, 2, rows.join('\n'));
    assert.match(rows[0]!, /^41010\t[0-9a-f]{32}\t1\t/);
    assert.match(rows[1]!, /^41000\t[0-9a-f]{32}\t2\t/);
    await screenshot(page, 'guilty-details');
    await page.locator('#all-backtraces').click();
    await page.waitForURL(/backtraces$/);
    const hits = await cellTexts(page, '.frames li.guilty');
    assert.equal(hits.length, 3);
    assert.equal(hits[0], '#0 item_length() - [/usr/bin/crashme-g] - crashme.c:44');
    assert.equal(await page.locator('.backtrace').count(), 3);
    await screenshot(page, 'backtraces');
    await page.close();
  });

  it('a comment is saved, hide removes the guilty from the list and unhide brings it back', async () => {
    const page = await open(`${base}/crashes`);
    const row = () => page.locator('#guilties tbody tr', { hasText: 'worker_step()' });
    await row().locator('input[name=comment]').fill('known: fixed in 41020 <b>');
    await row().getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/done=saved/);
    assert.equal(await page.getByRole('status').textContent(), 'Saved.');
    assert.equal(await row().locator('input[name=comment]').inputValue(), 'known: fixed in 41020 <b>');
    await row().locator('select[name=hidden]').selectOption('yes');
    await row().getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/done=hidden/);
    assert.equal(await row().count(), 0);
    await page.goto(`${base}/crashes/guilty_edit/hidden`);
    const hidden = page.locator('#hidden tbody tr', { hasText: 'worker_step() - [/usr/bin/crashme-mt]' });
    await hidden.getByRole('button', { name: 'Unhide' }).click();
    await page.waitForURL(/done=unhidden/);
    assert.equal(await page.locator('#hidden tbody tr').count(), 0);
    await page.goto(`${base}/crashes`);
    assert.equal(await row().count(), 1);
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  it('blacklist: tick the guilty frame, apply (reprocess), then remove and reset back', async () => {
    const page = await open(`${base}/records?classification=org.clearlinux%2Fcrash%2Fclr&payload=crashme-g`);
    await page.locator('#records a', { hasText: 'details' }).first().click();
    await page.locator('#guilty-link + a, a:has-text("edit blacklist")').first().click();
    assert.equal(await page.locator('#current-guilty').textContent(), 'item_length() - [/usr/bin/crashme-g]');
    const labels = await cellTexts(page, '.frames label');
    assert.ok(!labels.some((l) => l.includes('_start()')), 'the _start frame is never offered');
    await page.getByLabel('item_length() - [/usr/bin/crashme-g]').check();
    await page.getByRole('button', { name: 'Update the blacklist and reprocess' }).click();
    await page.waitForURL(/done=applied/);
    assert.equal(
      await page.locator('#current-guilty').textContent(),
      'process_list() - [/usr/bin/crashme-g]',
    );
    await page.goto(`${base}/crashes/guilty_edit/`);
    await screenshot(page, 'blacklist');
    const entry = page.locator('#blacklist tbody tr', { hasText: 'item_length() - [/usr/bin/crashme-g]' });
    await entry.getByRole('button', { name: 'Remove' }).click();
    await page.waitForURL(/done=removed/);
    assert.equal(await page.locator('#blacklist tbody tr').count(), 0);
    // add by name (upstream's /crashes/guilty_edit/add answered HTML 500), twice: no duplicate
    for (const done of ['added', 'exists']) {
      await page.getByLabel('function', { exact: true }).fill('abort()');
      await page.getByLabel('module', { exact: true }).fill('libc.so.6');
      await page.locator('form:has(input[name=function])').getByRole('button', { name: 'Add' }).click();
      await page.waitForURL(new RegExp(`done=${done}`));
    }
    assert.deepEqual(await cellTexts(page, '#blacklist tbody td:first-child'), ['abort() - [libc.so.6]']);
    await page.locator('#blacklist tbody tr').getByRole('button', { name: 'Remove' }).click();
    await page.waitForURL(/done=removed/);
    await page.locator('#apply-all').click();
    await page.waitForURL(/done=reprocessed/);
    await page.goto(`${base}/crashes`);
    const row = page.locator('#guilties tbody tr', { hasText: 'item_length() - [/usr/bin/crashme-g]' });
    assert.equal(await row.locator('td.num').first().textContent(), '3');
    await page.close();
  });

  it('without JavaScript the tables are all there, just no charts', async () => {
    const noJs = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await noJs.newPage();
      await page.goto(`${base}/builds`);
      assert.deepEqual(await page.locator('table[data-chart] tbody tr').allInnerTexts(), [
        '41000\t9',
        '41010\t3',
      ]);
      assert.equal(await page.locator('canvas').count(), 0);
    } finally {
      await noJs.close();
    }
  });

  it('builds and population count what the two machines sent', async () => {
    const page = await open(`${base}/builds`);
    const builds = await page.locator('table[data-chart] tbody tr').allInnerTexts();
    // machine a: 2 heartbeats, 1 hello, 3 crashes, mce, thermal, hostile = 9; b: heartbeat, crash, update = 3
    assert.deepEqual(builds, ['41000\t9', '41010\t3']);
    await page.locator('.chart canvas').waitFor();
    await screenshot(page, 'builds');
    await page.goto(`${base}/population`);
    for (const id of ['overall', 'two-weeks', 'one-week', 'three-days', 'one-day']) {
      const rows = await page.locator(`#population-${id} tbody tr`).allInnerTexts();
      const perBuild = rows.map((r) => r.split('\t')).map(([b, i, e]) => [b, Number(i) + Number(e)]);
      assert.deepEqual(
        perBuild,
        [
          ['41000', 1],
          ['41010', 1],
        ],
        id,
      );
    }
    await screenshot(page, 'population');
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  it('records: filters with a wildcard class, a payload regex and its negation; load more', async () => {
    const page = await open(`${base}/records`);
    assert.equal(await page.locator('#records tbody tr').count(), total);
    await screenshot(page, 'records');
    await page.locator('select[name=classification]').selectOption('org.clearlinux/crash/*');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.waitForURL(/classification=org.clearlinux%2Fcrash%2F\*/);
    assert.equal(await page.locator('#records tbody tr').count(), 4);
    await page.locator('input[name=payload]').fill('worker_step');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    assert.equal(await page.locator('#records tbody tr').count(), 1);
    await page.locator('input[name=payload]').fill('');
    await page.locator('input[name=not_payload]').fill('crashme-g');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    assert.equal(await page.locator('#records tbody tr').count(), 1);
    await page.goto(`${base}/records?build=41010&severity=1`);
    assert.deepEqual(await cellTexts(page, '#records tbody td:nth-child(5)'), [
      'swupd-client/update',
      'heartbeat/ping',
    ]);
    const all = await page.goto(`${base}/records/lastid/3`);
    assert.equal(all?.status(), 200);
    assert.equal(await page.locator('#records tbody tr').count(), 2);
    await page.close();
  });

  it('record details show the payload and link to the guilty', async () => {
    const page = await open(
      `${base}/records?classification=org.clearlinux%2Fcrash%2Fclr&payload=worker_step`,
    );
    await page.locator('#records a', { hasText: 'details' }).click();
    assert.match((await page.locator('#payload').textContent()) ?? '', /^Process: \/usr\/bin\/crashme-mt\n/);
    await screenshot(page, 'record-details');
    await page.locator('#guilty-link').click();
    assert.equal(await page.locator('#funcmod').textContent(), 'worker_step() - [/usr/bin/crashme-mt]');
    await page.close();
  });

  it('a hostile payload renders as text, and the CSP blocks inline script', async () => {
    const page = await open(`${base}/records?payload=pwned`);
    assert.equal(await page.locator('#records td.payload').textContent(), HOSTILE);
    assert.equal(await page.locator('#records img').count(), 0);
    assert.notEqual(await page.title(), 'pwned');
    await page.locator('#records a', { hasText: 'details' }).click();
    assert.equal(await page.locator('#payload').textContent(), `${HOSTILE}`);
    assert.notEqual(await page.title(), 'pwned');
    // Inline script that did reach the DOM would still not run: 'unsafe-inline' is not allowed.
    // (a string, so this file needs no DOM types)
    const ran = await page.evaluate(`(async () => {
      const s = document.createElement('script');
      s.textContent = 'window.inlineRan = true';
      document.body.append(s);
      await new Promise((r) => setTimeout(r, 50));
      return window.inlineRan === true;
    })()`);
    assert.equal(ran, false);
    await page.close();
  });

  it('stats, MCE, thermal and updates show the delivered records', async () => {
    const page = await open(`${base}/stats`);
    const classes = await page
      .locator('section', { hasText: 'per classification' })
      .locator('tbody tr')
      .allInnerTexts();
    assert.ok(classes.includes('org.clearlinux/heartbeat/ping\t3'), classes.join('|'));
    await page.locator('.chart canvas').first().waitFor();
    await screenshot(page, 'stats');
    await page.goto(`${base}/mce`);
    assert.deepEqual(
      await page.locator('section', { hasText: 'per status' }).locator('tbody tr').allInnerTexts(),
      ['00010090\t1'],
    );
    await page.goto(`${base}/thermal`);
    assert.match((await page.locator('tbody tr').allInnerTexts()).join('|'), /^Week [0-9]+\t1$/);
    await page.goto(`${base}/updates`);
    assert.deepEqual((await page.locator('#update-matrix tbody tr').allInnerTexts())[0], '41000\t\t1\t1');
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  it('CSV export inline and as a download; a POST without the CSRF token is refused', async () => {
    const inline = await fetch(
      `${base}/records/export/records-5.csv?format_type=inline&classification=org.clearlinux%2Fcrash%2F*`,
    );
    const lines = (await inline.text()).trimEnd().split('\n');
    assert.equal(lines[0], 'id,external,server_timestamp,severity,classification,build,machine_id,payload');
    assert.equal(lines.length, 5);
    assert.match(
      lines[1]!,
      /^"[0-9]+","(True|False)","[0-9.]+","3","org.clearlinux\/crash\/clr","41000",".*","Process: \/usr\/bin\/crashme-mt\\nPID:/,
    );
    const attach = await fetch(`${base}/records/export/records-5.csv?format_type=attach`);
    assert.equal(attach.headers.get('content-disposition'), 'attachment; filename=export-5.csv');
    const forged = await fetch(`${base}/crashes`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'guilty_id=1&comment=x&hidden=yes',
    });
    assert.equal(forged.status, 403);
    assert.match(forged.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  });
});
