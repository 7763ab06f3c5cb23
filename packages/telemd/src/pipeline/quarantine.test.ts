// The quarantine's policy (issue 15): refused records and junk are bounded apart, junk never
// evicts a refused record, an entry too large for its kind is deleted instead of emptying the
// quarantine, and what is evicted is counted and journaled in the `.dropped` side file.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { droppedJournalPath, readJournal } from '@telemetrics/libtelemetry/internal/journal';
import { createMemoryLogger } from '@telemetrics/libtelemetry/log';
import { encodeSpoolFile } from '@telemetrics/libtelemetry/wire';
import { makeRecord, tempDir } from '../spool/spool.fixtures.ts';
import { createJournalHook } from './journal-hook.ts';
import { createMetrics } from '../observe/metrics.ts';
import { createQuarantine, overBound, type QuarantineOptions } from './quarantine.ts';

const REFUSED = { reason: 'permanent', detail: 'HTTP 400: bad classification', status: 400 } as const;
const JUNK = { reason: 'format', detail: 'not a record' } as const;

function quarantineIn(dir: string, extra: Partial<QuarantineOptions> = {}) {
  const logger = createMemoryLogger();
  const metrics = createMetrics();
  const journalFile = path.join(dir, 'journal');
  const bootIdFile = path.join(dir, 'boot_id');
  writeFileSync(bootIdFile, '711d33a8-4861-4099-9edb-08bae7a117b6\n');
  const journal = createJournalHook({
    journalFile,
    retentionEnabled: false,
    retentionDir: path.join(dir, 'records'),
    logger,
    bootIdFile,
  });
  const spoolDir = path.join(dir, 'spool');
  let now = 1_000_000;
  const q = createQuarantine({ spoolDir, logger, wallNow: () => now++, ...extra });
  const reporting = { metrics, journal };
  const entries = (kind: string) =>
    existsSync(q.dir)
      ? readdirSync(q.dir).filter((n) => !n.endsWith('.reason.json') && n.includes(`-${kind}-`))
      : [];
  return { q, logger, metrics, journal, journalFile, spoolDir, reporting, entries };
}

function spoolRecord(spoolDir: string, name: string, n: number): void {
  writeFileSync(path.join(spoolDir, name), encodeSpoolFile(makeRecord(n)), { flag: 'w' });
}

test('a junk file larger than the bound is deleted, not quarantined: refused records stay (issue 15)', async () => {
  using tmp = tempDir();
  const s = quarantineIn(tmp.dir);
  (await import('node:fs')).mkdirSync(s.spoolDir);
  for (let i = 0; i < 5; i++) {
    spoolRecord(s.spoolDir, `refus${i}`, i);
    assert.equal(await s.q.move(`refus${i}`, REFUSED, s.reporting), 'moved');
  }
  writeFileSync(path.join(s.spoolDir, 'garbag'), Buffer.alloc(5 * 1024 * 1024, 0x41));
  assert.equal(await s.q.move('garbag', JUNK, s.reporting), 'too-large');
  assert.equal(existsSync(path.join(s.spoolDir, 'garbag')), false, 'removed');
  assert.equal(s.entries('refused').length, 5, 'every refused record kept');
  assert.equal(s.entries('junk').length, 0);
  assert.equal(s.metrics.getDropped('quarantine_too_large'), 1);
  assert.ok(
    s.logger.lines.some((l) => l.includes('too large for the quarantine') && l.includes('bytes=5242880')),
  );
  await s.journal.close();
});

test('junk past its bound evicts only junk; refused records are bounded on their own', async () => {
  using tmp = tempDir();
  const s = quarantineIn(tmp.dir, { refused: { files: 3 }, junk: { files: 2 } });
  (await import('node:fs')).mkdirSync(s.spoolDir);
  for (let i = 0; i < 3; i++) {
    spoolRecord(s.spoolDir, `refus${i}`, i);
    await s.q.move(`refus${i}`, REFUSED, s.reporting);
  }
  for (let i = 0; i < 4; i++) {
    writeFileSync(path.join(s.spoolDir, `junk0${i}`), 'not a record\n');
    await s.q.move(`junk0${i}`, JUNK, s.reporting);
  }
  assert.deepEqual(
    s.entries('refused').map((n) => n.slice(-6)),
    ['refus0', 'refus1', 'refus2'],
  );
  assert.deepEqual(
    s.entries('junk').map((n) => n.slice(-6)),
    ['junk02', 'junk03'],
    'the oldest junk went',
  );
  // Now refused records past their own bound: the oldest refused go, journaled with the reason.
  for (let i = 3; i < 5; i++) {
    spoolRecord(s.spoolDir, `refus${i}`, i);
    await s.q.move(`refus${i}`, REFUSED, s.reporting);
  }
  assert.deepEqual(
    s.entries('refused').map((n) => n.slice(-6)),
    ['refus2', 'refus3', 'refus4'],
  );
  assert.equal(s.entries('junk').length, 2);
  assert.equal(s.metrics.getDropped('quarantine_evicted'), 4);
  await s.journal.close();
  const dropped = await readJournal(droppedJournalPath(s.journalFile));
  assert.deepEqual(
    dropped.entries.map((e) => [Number.parseInt(e.eventId, 16), e.note]),
    [
      [0, 'quarantine_evicted_refused'],
      [1, 'quarantine_evicted_refused'],
    ],
    'evicted records are journaled; junk has no record to journal, its log line says what went',
  );
  assert.equal(
    s.logger.lines.filter((l) => l.includes('quarantine full') && l.includes('kind=junk')).length,
    2,
  );
});

test('overBound: evicts oldest first until both the file and the byte bound hold', () => {
  const items = [
    { name: 'a', bytes: 10 },
    { name: 'b', bytes: 10 },
    { name: 'c', bytes: 30 },
  ];
  assert.deepEqual(overBound(items, { files: 5, bytes: 100 }), []);
  assert.deepEqual(
    overBound(items, { files: 2, bytes: 100 }).map((i) => i.name),
    ['a'],
  );
  assert.deepEqual(
    overBound(items, { files: 5, bytes: 30 }).map((i) => i.name),
    ['a', 'b'],
  );
});
