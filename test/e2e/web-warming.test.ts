// The real telemetrics-collector warms the web views' aggregates once it listens
// (packages/collector/src/web/warm.ts): observed by its log line, never by timing. An empty
// database is not warmed; ingestion answers 201 while warming runs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openDb } from '../../packages/collector/src/db/open.ts';
import { spawnCollector } from '../helpers/collector-process.ts';

let dir = '';
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'telem-warm-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('an empty database is not warmed, and says so', async () => {
  await using c = await spawnCollector({ db: `sqlite:${path.join(dir, 'empty.db')}` });
  assert.match(await c.waitForLog(/^<6>web views warmed /), / skipped=empty$/);
});

test('a database with records is warmed after listening; a 201 meanwhile; pages from memory', async () => {
  const url = `sqlite:${path.join(dir, 'full.db')}`;
  const db = await openDb(url);
  const now = Math.floor(Date.now() / 1000);
  for (let i = 0; i < 50; i++) {
    await db.run(
      `INSERT INTO records (build, classification, system_name, machine_id, external, timestamp_client,
         timestamp_server, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      ['42420', 'org.clearlinux/heartbeat/ping', 'clear-linux-os', `m${i}`, true, now - 60, now - 60, 'hb'],
    );
  }
  await db.close();
  await using c = await spawnCollector({ db: url });
  // sent at once after the listening line, whether or not warming has finished
  const res = await fetch(c.v2Url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/text',
      'X-Telemetry-TID': '6907c830-eed9-4ce9-81ae-76daf8d88f0f',
      classification: 'org.clearlinux/hello/world',
      severity: '1',
      'record-format-version': '2',
      'payload-format-version': '1',
      'machine-id': 'warm-test',
      'creation-timestamp': String(now),
      arch: 'x86_64',
      host_type: 'test',
      build: '42421',
      kernel_version: '6.1.0',
      system_name: 'clear-linux-os',
      board_name: 'b',
      cpu_model: 'c',
      bios_version: 'v',
    },
    body: 'hello\n',
  });
  assert.equal(res.status, 201, await res.text());
  const line = await c.waitForLog(/^<6>web views warmed /);
  assert.match(line, / ms=\d+$/);
  const page = await fetch(`${c.url}/telemetryui/population`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /42420/);
  assert.ok(
    c.log().indexOf('<5>listening ') < c.log().indexOf('<6>web views warmed '),
    'warming is logged after listening',
  );
});
