import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { readVector } from '../../../../test/helpers/vectors.ts';
import {
  type JournalEntry,
  parseJournalLine,
  parseJournalLines,
  serializeJournalEntry,
  splitJournalLines,
  validateJournalClassification,
  validateJournalEntry,
} from './journal-entry.ts';

const SAMPLE: JournalEntry = {
  recordId: '6d121252faddcf8270903cee5ced5abf',
  timestamp: 1795317569,
  classification: 'org.clearlinux/heartbeat/ping',
  eventId: '2bd81c004318b4de5a48b9a32084b091',
  bootId: '711d33a8-4861-4099-9edb-08bae7a117b6',
};

test('serializes the verified C example line byte for byte (spec 10.1)', () => {
  assert.equal(
    serializeJournalEntry(SAMPLE),
    '6d121252faddcf8270903cee5ced5abf\x1e1795317569\x1eorg.clearlinux/heartbeat/ping\x1e' +
      '2bd81c004318b4de5a48b9a32084b091\x1e711d33a8-4861-4099-9edb-08bae7a117b6\n',
  );
});

test('the v2.3.5 journal vector parses into 5 entries and re-serializes identically', () => {
  const text = readVector('journal/journal').toString('latin1');
  const { lines, partialTail } = splitJournalLines(text);
  assert.equal(partialTail, '');
  const { entries, skipped } = parseJournalLines(lines);
  assert.equal(skipped, 0);
  assert.equal(entries.length, 5);
  assert.equal(entries[2]?.classification, 'org.example/vectors/special-chars');
  assert.equal(entries[2]?.timestamp, 1795319928);
  assert.equal(entries.map(serializeJournalEntry).join(''), text);
});

test('parsing is as tolerant as C: short lines skipped, extra fields ignored, atoll timestamps', () => {
  assert.equal(parseJournalLine('a\x1eb\x1ec\x1ed'), null);
  assert.equal(parseJournalLine(''), null);
  const extra = parseJournalLine('r\x1e12abc\x1ec\x1ee\x1eb\x1enote\x1eextra');
  assert.deepEqual(extra, {
    recordId: 'r',
    timestamp: 12,
    classification: 'c',
    eventId: 'e',
    bootId: 'b',
    note: 'note',
  });
  assert.equal(parseJournalLine('r\x1exyz\x1ec\x1ee\x1eb')?.timestamp, 0);
  assert.equal(parseJournalLine('r\x1e -5\x1ec\x1ee\x1eb')?.timestamp, -5);
});

test('a note is a 6th field', () => {
  const line = serializeJournalEntry({ ...SAMPLE, note: 'rate_limited' });
  assert.ok(line.endsWith('\x1erate_limited\n'));
  assert.equal(parseJournalLine(line.slice(0, -1))?.note, 'rate_limited');
});

test('a last line without LF is a torn write, not an entry', () => {
  const { lines, partialTail } = splitJournalLines(`${serializeJournalEntry(SAMPLE)}abc\x1e1`);
  assert.equal(lines.length, 1);
  assert.equal(partialTail, 'abc\x1e1');
  assert.deepEqual(splitJournalLines('no newline at all'), { lines: [], partialTail: 'no newline at all' });
});

test('C validation: classification and event id', () => {
  const cases: [Partial<JournalEntry>, string | null][] = [
    [{}, null],
    [{ classification: 'a//' }, null],
    [{ classification: `${'a'.repeat(41)}/b/c` }, null],
    [{ classification: `${'a'.repeat(42)}/b/c` }, 'TELEM_INVALID_CLASSIFICATION'],
    [{ classification: `a/${'b'.repeat(41)}/c` }, 'TELEM_INVALID_CLASSIFICATION'],
    [{ classification: 'a/b' }, 'TELEM_INVALID_CLASSIFICATION'],
    [{ classification: 'a/b/c/d' }, 'TELEM_INVALID_CLASSIFICATION'],
    [{ classification: '' }, 'TELEM_INVALID_CLASSIFICATION'],
    [{ classification: 'a/b\x1e/c' }, 'TELEM_INVALID_CLASSIFICATION'],
    [{ classification: 'a/b\n/c' }, 'TELEM_INVALID_CLASSIFICATION'],
    [{ classification: 'a/bé/c' }, 'TELEM_INVALID_CLASSIFICATION'],
    [
      { classification: `${'a'.repeat(40)}/${'b'.repeat(40)}/${'c'.repeat(41)}` },
      'TELEM_INVALID_CLASSIFICATION',
    ],
    [{ eventId: '2BD81C004318B4DE5A48B9A32084B091' }, 'TELEM_INVALID_EVENT_ID'],
    [{ eventId: '2bd81c004318b4de5a48b9a32084b09' }, 'TELEM_INVALID_EVENT_ID'],
    [{ eventId: '' }, 'TELEM_INVALID_EVENT_ID'],
    [{ recordId: 'x'.repeat(32) }, 'TELEM_JOURNAL_FORMAT'],
    [{ bootId: 'a\nb' }, 'TELEM_JOURNAL_FORMAT'],
    [{ timestamp: 1.5 }, 'TELEM_JOURNAL_FORMAT'],
    [{ note: 'spool_full' }, null],
    [{ note: 'two words' }, 'TELEM_JOURNAL_FORMAT'],
    [{ note: '' }, 'TELEM_JOURNAL_FORMAT'],
  ];
  for (const [patch, code] of cases) {
    const result = validateJournalEntry({ ...SAMPLE, ...patch });
    assert.equal(result.ok ? null : result.code, code, JSON.stringify(patch));
  }
  assert.throws(() => serializeJournalEntry({ ...SAMPLE, classification: 'bad' }), TypeError);
  assert.ok(validateJournalClassification('org.clearlinux/crash/clr').ok);
});

test('fuzz: parse never throws, and valid entries round-trip', () => {
  const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);
  console.log(`journal-entry fuzz seed=${seed}`);
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (line) => {
      const entry = parseJournalLine(line);
      if (entry) assert.equal(typeof entry.timestamp, 'number');
    }),
    { seed, numRuns: 500 },
  );
  const seg = fc.string({ unit: fc.constantFrom('a', 'b', '.', '-', ' ', '_'), maxLength: 40 });
  fc.assert(
    fc.property(
      seg,
      seg,
      seg,
      fc.integer({ min: 0, max: 2 ** 40 }),
      fc.stringMatching(/^[0-9a-f]{32}$/),
      (a, b, c, timestamp, id) => {
        const entry: JournalEntry = {
          ...SAMPLE,
          classification: `${a}/${b}/${c}`,
          timestamp,
          recordId: id,
          eventId: id,
        };
        const line = serializeJournalEntry(entry);
        assert.deepEqual(parseJournalLine(line.slice(0, -1)), entry);
      },
    ),
    { seed, numRuns: 300 },
  );
});
