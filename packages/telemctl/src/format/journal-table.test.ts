import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JournalEntry } from '@telemetrics/libtelemetry/internal/journal';
import {
  classificationMatches,
  entryMatches,
  formatJournalJson,
  formatJournalLine,
  formatJournalTime,
  formatRetainedPayload,
  JOURNAL_HEADER,
} from './journal-table.ts';

const E: JournalEntry = {
  recordId: '6d121252faddcf8270903cee5ced5abf',
  timestamp: 1795317569,
  classification: 'org.clearlinux/heartbeat/ping',
  eventId: '2bd81c004318b4de5a48b9a32084b091',
  bootId: '711d33a8-4861-4099-9edb-08bae7a117b6',
};

test('the verified C line and header (spec 10.3)', () => {
  assert.equal(
    JOURNAL_HEADER,
    'Classification                 Time stamp                  Record ID                        Event ID                         Boot ID                             \n',
  );
  assert.equal(
    formatJournalLine(E, 'UTC'),
    'org.clearlinux/heartbeat/ping  Sun 2026-11-22 03:19:29 UTC 6d121252faddcf8270903cee5ced5abf 2bd81c004318b4de5a48b9a32084b091 711d33a8-4861-4099-9edb-08bae7a117b6\n',
  );
});

test('time zones as glibc names them where ICU agrees', () => {
  assert.equal(formatJournalTime(1795319925, 'America/New_York'), 'Sat 2026-11-21 22:58:45 EST');
  assert.equal(formatJournalTime(1795319925, 'Europe/Berlin'), 'Sun 2026-11-22 04:58:45 CET');
  assert.equal(formatJournalTime(0, 'UTC'), 'Thu 1970-01-01 00:00:00 UTC');
  assert.throws(() => formatJournalTime(1e20, 'UTC'), RangeError);
});

test('-c: exact, C prefix, trailing slash, whole-segment prefix', () => {
  const table: [string, string, boolean][] = [
    ['org.clearlinux/hello/world', 'org.clearlinux/hello/world', true],
    ['org.clearlinux/hello/world', 'org.clearlinux/hello/worlds', false],
    ['org.clearlinux/*', 'org.clearlinux/hello/world', true],
    ['org.clearlinux/*', 'org.clearlinuxx/hello/world', false],
    ['org.clearlinux/crash', 'org.clearlinux/crash/clr', true],
    ['org.clearlinux/crash', 'org.clearlinux/crashes/x', false],
    ['org.clearlinux/crash/', 'org.clearlinux/crash/clr', true],
    ['org.clear', 'org.clearlinux/crash/clr', false],
    ['*', 'org.clearlinux/crash/clr', false],
    ['', 'a/b/c', false],
    ['/*', '/b/c', true],
  ];
  for (const [pattern, cls, expected] of table) {
    assert.equal(classificationMatches(pattern, cls), expected, `${pattern} vs ${cls}`);
  }
  assert.ok(entryMatches({}, E));
  assert.ok(entryMatches({ bootId: E.bootId, classification: 'org.clearlinux/heartbeat' }, E));
  assert.ok(!entryMatches({ recordId: E.eventId }, E));
  assert.ok(!entryMatches({ eventId: E.recordId }, E));
});

test('retained payloads print verbatim, with one LF added only when missing', () => {
  assert.equal(formatRetainedPayload(Buffer.from('hello\n\n\n')), 'hello\n\n\n');
  assert.equal(formatRetainedPayload(Buffer.from('no newline')), 'no newline\n');
  assert.equal(formatRetainedPayload(Buffer.alloc(0)), '');
});

test('json lines carry the payload only when asked', () => {
  const plain = JSON.parse(formatJournalJson(E));
  assert.equal(plain.time, '2026-11-22T03:19:29.000Z');
  assert.equal('payload' in plain, false);
  assert.equal(JSON.parse(formatJournalJson(E, null)).payload, null);
  assert.equal(JSON.parse(formatJournalJson({ ...E, timestamp: 1e20 })).time, null);
});
