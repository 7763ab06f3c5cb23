import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, parseConfigFile, resolveConfig } from './config.ts';
import { openDb } from './db/open.ts';
import { DEFAULT_PURGE, msUntil, parsePurgeFilters, purge } from './retention.ts';

test('purge: filtered classes by their days (with *), others after the unfiltered days', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'collector-purge-'));
  const db = await openDb(`sqlite:${path.join(dir, 'p.db')}`);
  try {
    const now = 1_800_000_000;
    const day = 86400;
    const rows: [string, number][] = [
      ['org.clearlinux/hello/world', now - 2 * day], // filtered, 1 day: goes
      ['org.clearlinux/hello/world', now - 0.5 * day], // stays
      ['org.x/swupd/a', now - 5 * day], // org.x/swupd/*:3: goes
      ['org.x/other/a', now - 5 * day], // unfiltered, 35 days: stays
      ['org.x/other/b', now - 40 * day], // goes
    ];
    for (const [classification, ts] of rows) {
      await db.run(
        'INSERT INTO records (build, classification, timestamp_server, payload) VALUES ($1, $2, $3, $4)',
        ['1', classification, ts, ''],
      );
    }
    const rules = {
      ...DEFAULT_PURGE,
      filtered: parsePurgeFilters('org.clearlinux/hello/world:1, org.x/swupd/*:3'),
    };
    assert.equal(await purge(db, rules, now), 3);
    const left = await db.query<{ classification: string }>('SELECT classification FROM records ORDER BY id');
    assert.deepEqual(
      left.map((r) => r.classification),
      ['org.clearlinux/hello/world', 'org.x/other/a'],
    );
    assert.equal(
      await purge(db, { ...rules, unfilteredDays: 0 }, now + 100 * day),
      1,
      '0 keeps unfiltered records',
    );
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('msUntil: the next HH:MM, tomorrow once it passed', () => {
  const at = new Date(2026, 0, 1, 4, 0, 0);
  assert.equal(msUntil('04:30', at), 30 * 60_000);
  assert.equal(msUntil('04:00', at), 24 * 3600_000);
});

test('config: file then command line; bad values are errors with their key', () => {
  const file = parseConfigFile(
    '# c\nport = 9000\nhost=0.0.0.0\npurge_filtered_records = a/b/*:2\n',
    'f.conf',
  );
  const config = resolveConfig([file, new Map([['port', '9001']])]);
  assert.equal(config.port, 9001);
  assert.equal(config.host, '0.0.0.0');
  assert.deepEqual(config.purge.filtered, [{ pattern: 'a/b/*', days: 2 }]);
  assert.throws(() => parseConfigFile('nokey\n', 'f.conf'), /f\.conf:1: expected key = value/);
  assert.throws(() => resolveConfig([new Map([['port', '70000']])]), ConfigError);
  assert.throws(() => resolveConfig([new Map([['purge-at', '25:00']])]), /invalid purge-at/);
  assert.throws(() => resolveConfig([new Map([['purge-old-records', 'maybe']])]), /expected true or false/);
});
