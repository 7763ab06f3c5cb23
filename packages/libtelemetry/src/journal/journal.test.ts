import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readVector, vectorPath } from '../../../../test/helpers/vectors.ts';
import { createMemoryLogger } from '../log.ts';
import { parseJournalLine, splitJournalLines } from '../wire/journal-entry.ts';
import { openJournal, UNKNOWN_BOOT_ID } from './journal.ts';
import { readJournal } from './read-journal.ts';
import { createRetention, readRetainedPayload } from './retention.ts';

const BOOT_ID = '711d33a8-4861-4099-9edb-08bae7a117b6';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telem-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function counterRandom(): (n: number) => Uint8Array {
  let i = 0;
  return (n) => {
    const b = Buffer.alloc(n);
    b.writeUInt32BE(++i, n - 4);
    return b;
  };
}

function setup(dir: string): { bootIdFile: string; file: string } {
  const bootIdFile = path.join(dir, 'boot_id');
  fs.writeFileSync(bootIdFile, `${BOOT_ID}\n`);
  return { bootIdFile, file: path.join(dir, 'log', 'journal') };
}

test('append writes C lines with fresh ids, the processing second and the boot id', async (t) => {
  const dir = tempDir(t);
  const { bootIdFile, file } = setup(dir);
  await using journal = await openJournal({ path: file, bootIdFile, now: () => 1795317569_999 });
  const r = await journal.append({
    classification: 'org.clearlinux/heartbeat/ping',
    eventId: 'a'.repeat(32),
  });
  assert.ok(r.ok);
  const r2 = await journal.append({ classification: 'org.clearlinux/hello/world', eventId: 'b'.repeat(32) });
  assert.ok(r2.ok);
  assert.notEqual(r.value.recordId, r2.value.recordId);
  assert.match(r.value.recordId, /^[0-9a-f]{32}$/);
  const text = fs.readFileSync(file, 'latin1');
  assert.equal(
    text.split('\n')[0],
    `${r.value.recordId}\x1e1795317569\x1eorg.clearlinux/heartbeat/ping\x1e${'a'.repeat(32)}\x1e${BOOT_ID}`,
  );
  assert.equal(journal.count, 2);
  assert.equal((fs.statSync(file).mode & 0o777).toString(8), '644');
});

test('inputs C rejects are refused and nothing is written', async (t) => {
  const dir = tempDir(t);
  const { bootIdFile, file } = setup(dir);
  await using journal = await openJournal({ path: file, bootIdFile });
  const bad = await journal.append({ classification: 'no-slashes', eventId: 'a'.repeat(32) });
  assert.equal(bad.ok ? '' : bad.code, 'TELEM_INVALID_CLASSIFICATION');
  const badId = await journal.append({ classification: 'a/b/c', eventId: 'XYZ' });
  assert.equal(badId.ok ? '' : badId.code, 'TELEM_INVALID_EVENT_ID');
  assert.equal(fs.readFileSync(file, 'latin1'), '');
  assert.equal(journal.count, 0);
});

test('an unreadable boot id still journals the record, with the zero boot id', async (t) => {
  const dir = tempDir(t);
  const logger = createMemoryLogger();
  await using journal = await openJournal({
    path: path.join(dir, 'journal'),
    bootIdFile: path.join(dir, 'missing'),
    logger,
  });
  const r = await journal.append({ classification: 'a/b/c', eventId: 'a'.repeat(32) });
  assert.ok(r.ok);
  assert.equal(r.value.bootId, UNKNOWN_BOOT_ID);
  assert.match(logger.lines[0] ?? '', /^<4>journal: boot id unreadable/);
});

test('the 151st entry prunes to the last 100 and calls the callback for the 51 removed ids', async (t) => {
  const dir = tempDir(t);
  const { bootIdFile, file } = setup(dir);
  const pruned: string[] = [];
  await using journal = await openJournal({
    path: file,
    bootIdFile,
    random: counterRandom(),
    onPrune: (id) => {
      pruned.push(id);
    },
  });
  const ids: string[] = [];
  for (let i = 0; i < 150; i++) {
    const r = await journal.append({ classification: 'a/b/c', eventId: 'a'.repeat(32), timestamp: i });
    assert.ok(r.ok);
    ids.push(r.value.recordId);
  }
  assert.equal(journal.count, 150);
  assert.equal(pruned.length, 0);
  const last = await journal.append({ classification: 'a/b/c', eventId: 'a'.repeat(32), timestamp: 150 });
  assert.ok(last.ok);
  ids.push(last.value.recordId);
  assert.equal(journal.count, 100);
  assert.deepEqual(pruned, ids.slice(0, 51));
  const { lines, partialTail } = splitJournalLines(fs.readFileSync(file, 'latin1'));
  assert.equal(partialTail, '');
  assert.deepEqual(
    lines.map((l) => parseJournalLine(l)?.recordId),
    ids.slice(51),
  );
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['journal'], 'no temp file left behind');
  // Appending continues on the renamed file.
  const after = await journal.append({ classification: 'a/b/c', eventId: 'a'.repeat(32) });
  assert.ok(after.ok);
  assert.equal((await readJournal(file, { limit: 1000 })).entries.at(-1)?.recordId, after.value.recordId);
});

test('a torn last line (crash mid-append) is invisible to readers and cut at the next open', async (t) => {
  const dir = tempDir(t);
  const { bootIdFile, file } = setup(dir);
  fs.mkdirSync(path.dirname(file));
  const c = readVector('journal/journal');
  fs.writeFileSync(file, Buffer.concat([c, Buffer.from('deadbeef\x1e17953')]));
  const before = await readJournal(file);
  assert.equal(before.entries.length, 5);
  const logger = createMemoryLogger();
  await using journal = await openJournal({ path: file, bootIdFile, logger });
  assert.equal(journal.count, 5);
  assert.deepEqual(fs.readFileSync(file), c);
  assert.match(logger.lines.join('\n'), /torn last line/);
  const r = await journal.append({ classification: 'a/b/c', eventId: 'c'.repeat(32) });
  assert.ok(r.ok);
  const after = await readJournal(file);
  assert.equal(after.entries.length, 6);
  assert.equal(after.skipped, 0);
});

test('a journal written by the C client is read by ours and appended to', async (t) => {
  const dir = tempDir(t);
  const { bootIdFile, file } = setup(dir);
  fs.mkdirSync(path.dirname(file));
  fs.copyFileSync(vectorPath('journal/journal'), file);
  const { entries } = await readJournal(file);
  assert.deepEqual(
    entries.map((e) => [e.classification, e.timestamp]),
    [
      ['org.clearlinux/hello/world', 1795319925],
      ['org.clearlinux/heartbeat/ping', 1795319926],
      ['org.example/vectors/special-chars', 1795319928],
      ['org.example/vectors/journal', 1795319929],
      ['org.clearlinux/hello/world', 1795319930],
    ],
  );
  await using journal = await openJournal({ path: file, bootIdFile });
  assert.equal(journal.count, 5);
});

test('readJournal considers only the last 100 lines and a missing file is empty', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'journal');
  let text = 'short line\n';
  for (let i = 0; i < 120; i++)
    text += `${i.toString(16).padStart(32, '0')}\x1e${i}\x1ea/b/c\x1e${'e'.repeat(32)}\x1eb\n`;
  fs.writeFileSync(file, text);
  const { entries, skipped } = await readJournal(file);
  assert.equal(entries.length, 100);
  assert.equal(skipped, 0);
  assert.equal(entries[0]?.timestamp, 20);
  assert.deepEqual(await readJournal(path.join(dir, 'none')), { entries: [], skipped: 0, exists: false });
});

test('retention: prune removes the payloads of pruned records, latest ones stay', async (t) => {
  const dir = tempDir(t);
  const { bootIdFile, file } = setup(dir);
  const retentionDir = path.join(dir, 'records');
  const retention = createRetention({ dir: retentionDir });
  await using journal = await openJournal({
    path: file,
    bootIdFile,
    onPrune: (id) => retention.remove(id),
    keepEntries: 3,
    pruneAbove: 5,
  });
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const r = await journal.append({ classification: 'a/b/c', eventId: 'a'.repeat(32) });
    assert.ok(r.ok);
    // The journal entry exists before its payload: a crash in between loses a payload, never an entry.
    await retention.save(r.value.recordId, Buffer.from(`payload ${i}`));
    ids.push(r.value.recordId);
  }
  // The 6th append pruned entries 0..2 before its payload was saved.
  assert.deepEqual(fs.readdirSync(retentionDir).sort(), ids.slice(3).sort());
  assert.equal((await readRetainedPayload(retentionDir, ids[5]!))?.toString(), 'payload 5');
  assert.equal(await readRetainedPayload(retentionDir, ids[0]!), null);
});

test("retention never overwrites another record's file (BUG-33) and refuses path-like ids", async (t) => {
  const dir = tempDir(t);
  const retention = createRetention({ dir });
  const id = 'f'.repeat(32);
  await retention.save(id, Buffer.from('first'));
  await assert.rejects(retention.save(id, Buffer.from('second')), { code: 'TELEM_RETENTION_EXISTS' });
  assert.equal(fs.readFileSync(path.join(dir, id), 'utf8'), 'first');
  assert.deepEqual(fs.readdirSync(dir), [id], 'temp file removed');
  await assert.rejects(retention.save('../escape', Buffer.from('x')), TypeError);
  assert.equal(await readRetainedPayload(dir, '../etc/passwd'), null);
  fs.symlinkSync('/etc/hostname', path.join(dir, 'e'.repeat(32)));
  assert.equal(await readRetainedPayload(dir, 'e'.repeat(32)), null, 'symlinks are not followed');
  await retention.remove(id);
  await retention.remove(id);
  assert.equal(fs.existsSync(path.join(dir, id)), false);
});

test('close is idempotent and append after close fails with a code', async (t) => {
  const dir = tempDir(t);
  const { bootIdFile, file } = setup(dir);
  const journal = await openJournal({ path: file, bootIdFile });
  await Promise.all([journal.close(), journal.close()]);
  await assert.rejects(journal.append({ classification: 'a/b/c', eventId: 'a'.repeat(32) }), {
    code: 'TELEM_JOURNAL_IO',
  });
});

test('concurrent appends are serialized into whole lines', async (t) => {
  const dir = tempDir(t);
  const { bootIdFile, file } = setup(dir);
  await using journal = await openJournal({ path: file, bootIdFile });
  const results = await Promise.all(
    Array.from({ length: 40 }, () => journal.append({ classification: 'a/b/c', eventId: 'd'.repeat(32) })),
  );
  assert.ok(results.every((r) => r.ok));
  const { entries, skipped } = await readJournal(file);
  assert.equal(entries.length, 40);
  assert.equal(skipped, 0);
});

test('a burst of appends is written in call order, bad ones refused alone, pruned as one journal', async (t) => {
  const dir = tempDir(t);
  const { bootIdFile, file } = setup(dir);
  await using journal = await openJournal({ path: file, bootIdFile });
  // 200 appends issued at once share write+fdatasync batches; every 10th is invalid.
  const eventId = (i: number) => i.toString(16).padStart(32, '0');
  const results = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      journal.append({ classification: i % 10 === 9 ? 'no-slashes' : 'a/b/c', eventId: eventId(i) }),
    ),
  );
  results.forEach((r, i) => {
    assert.equal(r.ok, i % 10 !== 9, `append ${i}`);
    if (!r.ok) assert.equal(r.code, 'TELEM_INVALID_CLASSIFICATION');
  });
  const { lines, partialTail } = splitJournalLines(fs.readFileSync(file, 'latin1'));
  assert.equal(partialTail, '');
  assert.ok(lines.length >= 100 && lines.length <= 150, `${lines.length} lines after pruning`);
  assert.equal(journal.count, lines.length);
  const entries = lines.map((line) => {
    const entry = parseJournalLine(line);
    assert.ok(entry, line);
    return entry;
  });
  // The newest valid appends are the ones kept, in the order they were made.
  const valid = Array.from({ length: 200 }, (_, i) => i).filter((i) => i % 10 !== 9);
  assert.deepEqual(
    entries.map((e) => e.eventId),
    valid.slice(-entries.length).map(eventId),
  );
});

test('sweep removes orphaned payloads and crash temp files, nothing else', async (t) => {
  const dir = tempDir(t);
  const retention = createRetention({ dir });
  const keep = 'a'.repeat(32);
  const orphan = 'b'.repeat(32);
  await retention.save(keep, Buffer.from('k'));
  await retention.save(orphan, Buffer.from('o'));
  fs.writeFileSync(path.join(dir, `.${'c'.repeat(32)}.tmp`), 'torn');
  fs.writeFileSync(path.join(dir, 'README'), 'not ours');
  assert.equal(await retention.sweep(new Set([keep])), 2);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['README', keep]);
  assert.equal(await createRetention({ dir: path.join(dir, 'none') }).sweep(new Set()), 0);
});
