import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { HEADER_NAMES, type RecordHeaders } from '@telemetrics/libtelemetry';
import { droppedJournalPath, readJournal } from '@telemetrics/libtelemetry/internal/journal';
import { createMemoryLogger } from '@telemetrics/libtelemetry/log';
import {
  createJournalHook,
  type JournalHookRecord,
  journalingPipeline,
  journalingSink,
} from './journal-hook.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telem-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function record(classification: string, payload: string): JournalHookRecord {
  const headers = Object.fromEntries(HEADER_NAMES.map((n) => [n, ''])) as Record<string, string>;
  headers['classification'] = classification;
  headers['event_id'] = 'f41fff2b0ffc869c3c9717252c75b5cd';
  return { headers: headers as unknown as RecordHeaders, payload: Buffer.from(payload) };
}

function setup(dir: string) {
  const bootIdFile = path.join(dir, 'boot_id');
  fs.writeFileSync(bootIdFile, '711d33a8-4861-4099-9edb-08bae7a117b6\n');
  return {
    journalFile: path.join(dir, 'log', 'journal'),
    retentionDir: path.join(dir, 'log', 'records'),
    bootIdFile,
    now: () => 1795319925_000,
  };
}

test('delivered and kept-local records are journaled; retention keeps the exact payload', async (t) => {
  const dir = tempDir(t);
  const s = setup(dir);
  const logger = createMemoryLogger();
  const hook = createJournalHook({ ...s, retentionEnabled: true, logger });
  await hook.recordDelivered(record('org.clearlinux/hello/world', 'hello\n'));
  await hook.recordKeptLocal(record('org.clearlinux/heartbeat/ping', 'no newline'));
  await hook.close();
  await hook.close();
  const { entries } = await readJournal(s.journalFile);
  assert.deepEqual(
    entries.map((e) => [e.classification, e.timestamp, e.bootId]),
    [
      ['org.clearlinux/hello/world', 1795319925, '711d33a8-4861-4099-9edb-08bae7a117b6'],
      ['org.clearlinux/heartbeat/ping', 1795319925, '711d33a8-4861-4099-9edb-08bae7a117b6'],
    ],
  );
  assert.equal(fs.readFileSync(path.join(s.retentionDir, entries[0]!.recordId), 'utf8'), 'hello\n');
  assert.equal(fs.readFileSync(path.join(s.retentionDir, entries[1]!.recordId), 'utf8'), 'no newline');
  assert.deepEqual(logger.lines, []);
});

test('dropped records go to the side file with their reason, never into the journal', async (t) => {
  const dir = tempDir(t);
  const s = setup(dir);
  const hook = createJournalHook({ ...s, retentionEnabled: true, logger: createMemoryLogger() });
  await hook.recordDropped(record('org.clearlinux/hello/world', 'x'), 'spool full');
  await hook.close();
  assert.deepEqual((await readJournal(s.journalFile)).entries, []);
  const side = await readJournal(droppedJournalPath(s.journalFile));
  assert.equal(side.entries.length, 1);
  assert.equal(side.entries[0]?.note, 'spool_full');
  assert.equal(fs.existsSync(s.retentionDir), false, 'dropped payloads are not retained');
});

test('without retention no payload is written', async (t) => {
  const dir = tempDir(t);
  const s = setup(dir);
  const hook = createJournalHook({ ...s, retentionEnabled: false, logger: createMemoryLogger() });
  await hook.recordDelivered(record('a/b/c', 'x'));
  await hook.close();
  assert.equal((await readJournal(s.journalFile)).entries.length, 1);
  assert.equal(fs.existsSync(s.retentionDir), false);
});

test('an unwritable journal never fails the pipeline; the failure is logged once and retried', async (t) => {
  const dir = tempDir(t);
  const s = setup(dir);
  fs.writeFileSync(path.join(dir, 'log'), 'a file where the log directory should be');
  const logger = createMemoryLogger();
  const hook = createJournalHook({ ...s, retentionEnabled: true, logger });
  await hook.recordDelivered(record('a/b/c', 'x'));
  await hook.recordDelivered(record('a/b/c', 'y'));
  assert.equal(logger.lines.length, 1);
  assert.match(logger.lines[0] ?? '', /^<3>journal: journal append failed count=1 code=TELEM_JOURNAL_IO/);
  fs.rmSync(path.join(dir, 'log'));
  await hook.recordDelivered(record('a/b/c', 'z'));
  await hook.close();
  assert.equal((await readJournal(s.journalFile)).entries.length, 1, 'the next record reopened it');
  await hook.recordDelivered(record('a/b/c', 'late'));
  assert.match(logger.lines.at(-1) ?? '', /after close/);
});

test('at open, payloads of records no longer in the journal are swept', async (t) => {
  const dir = tempDir(t);
  const s = setup(dir);
  fs.mkdirSync(s.retentionDir, { recursive: true });
  const orphan = path.join(s.retentionDir, 'd'.repeat(32));
  fs.writeFileSync(orphan, 'pruned while telemd was down');
  const logger = createMemoryLogger();
  const hook = createJournalHook({ ...s, retentionEnabled: true, logger });
  await hook.recordDelivered(record('a/b/c', 'new'));
  await hook.close();
  assert.equal(fs.existsSync(orphan), false);
  const { entries } = await readJournal(s.journalFile);
  assert.deepEqual(fs.readdirSync(s.retentionDir), [entries[0]?.recordId]);
  assert.match(logger.lines.join('\n'), /removed orphaned retained payloads count=1/);
});

test('journalingSink journals delivered outcomes only; journalingPipeline journals kept-local records', async (t) => {
  const dir = tempDir(t);
  const s = setup(dir);
  const hook = createJournalHook({ ...s, retentionEnabled: false, logger: createMemoryLogger() });
  // Stand-ins for telemd's HTTP sink and pipeline: only their outcome matters here; the
  // real ones are covered end to end in test/e2e/journal.test.ts.
  const outcomes = [{ kind: 'delivered' as const }, { kind: 'retryable' as const }];
  const sink = journalingSink({ deliver: async () => outcomes.shift()!, close: async () => {} }, hook);
  assert.equal((await sink.deliver(record('a/b/delivered', 'x'))).kind, 'delivered');
  assert.equal((await sink.deliver(record('a/b/retry', 'x'))).kind, 'retryable');
  const accepted: string[] = [];
  const base = {
    accept: async (r: JournalHookRecord) => {
      accepted.push(r.headers.classification);
    },
    close: async () => {},
    isIdle: () => true,
  };
  const kept = journalingPipeline(base, hook, { deliveryEnabled: false });
  await kept.accept(record('a/b/kept', 'x'));
  assert.equal(kept.isIdle(), true, 'other members pass through');
  await journalingPipeline(base, hook, { deliveryEnabled: true }).accept(record('a/b/passed', 'x'));
  await hook.close();
  assert.deepEqual(accepted, ['a/b/kept', 'a/b/passed']);
  assert.deepEqual(
    (await readJournal(s.journalFile)).entries.map((e) => e.classification),
    ['a/b/delivered', 'a/b/kept'],
  );
});
