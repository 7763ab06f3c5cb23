import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvRow, unicodeEscape } from './csv.ts';

test('a row is quoted, doubled quotes, and unicode-escaped onto one line', () => {
  const row = csvRow({
    id: 7,
    external: 1,
    timestamp_server: 1700000000.5,
    severity: 3,
    classification: 'org.clearlinux/crash/clr',
    build: '41000',
    machine_id: 'm',
    payload: 'say "hi"\nnext\\ é €',
  });
  assert.equal(
    row,
    '"7","True","1700000000.5","3","org.clearlinux/crash/clr","41000","m","say ""hi""\\nnext\\\\ \\xe9 \\u20ac"\n',
  );
});

test('unicode-escape covers controls and astral characters', () => {
  assert.equal(unicodeEscape('\u0001\t\u{1F600}'), '\\x01\\t\\U0001f600');
});
