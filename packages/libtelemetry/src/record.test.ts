import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CAPTURE_MACHINE_FACTS } from '../../../test/helpers/fake-machine.ts';
import { ErrorCodes, TelemetryError } from './errors.ts';
import type { HostFacts } from './host-facts.ts';
import {
  classificationError,
  createRecord,
  isValidEventId,
  setEventId,
  setPayload,
  validateClassification,
} from './record.ts';
import { formatHeaderBlock } from './wire/headers.ts';

const FACTS: HostFacts = CAPTURE_MACHINE_FACTS;

const fixedRandom = (n: number) => Uint8Array.from({ length: n }, (_, i) => i * 17);

function make(severity: number, classification: string, payloadFormatVersion = 1) {
  return createRecord({
    severity,
    classification,
    payloadFormatVersion,
    facts: FACTS,
    now: 1e12,
    random: fixedRandom,
  });
}

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof TelemetryError && err.code === code);
}

// The C library's check tests (tests/check_libtelemetry.c, spec 14.6).
test('record_create_non_null / header_size: a record with a non-empty header block', () => {
  const record = make(1, 't/t/t', 2000);
  assert.ok(formatHeaderBlock(record.headers).length > 0);
});

test('record_create_severity / classification / version header lines', () => {
  const block = formatHeaderBlock(make(1, 't/t/t', 2000).headers);
  assert.match(block, /^severity: 1\n/m);
  assert.match(block, /^classification: t\/t\/t\n/m);
  assert.match(block, /^payload_format_version: 2000\n/m);
});

test('record_create_invalid_class1/2: t/t and t/t/t/t are rejected', () => {
  throwsCode(() => make(1, 't/t'), ErrorCodes.TELEM_INVALID_CLASSIFICATION);
  throwsCode(() => make(1, 't/t/t/t'), ErrorCodes.TELEM_INVALID_CLASSIFICATION);
});

test('record_create_severity_underflow/overflow: clamped to 1..4', () => {
  assert.equal(make(0, 't/t/t').headers.severity, '1');
  assert.equal(make(-3, 't/t/t').headers.severity, '1');
  assert.equal(make(5, 't/t/t').headers.severity, '4');
  assert.equal(make(3, 't/t/t').headers.severity, '3');
  throwsCode(() => make(1.5, 't/t/t'), ErrorCodes.TELEM_INVALID_SEVERITY);
});

test('record_set_event_id: a valid id replaces the generated one', () => {
  const record = make(1, 't/t/t');
  assert.notEqual(record.headers.event_id, 'aaaaaa00000033333344444466666622');
  const changed = setEventId(record, 'aaaaaa00000033333344444466666622');
  assert.match(formatHeaderBlock(changed.headers), /^event_id: aaaaaa00000033333344444466666622\n/m);
});

test('record_set_event_id_invalid_chars/short/long: rejected, original unchanged', () => {
  const record = make(1, 't/t/t');
  const before = record.headers.event_id;
  for (const bad of ['aaaaaa000000333333444444666666ZZ', 'aaaa', '0'.repeat(43), '', 'A'.repeat(32)]) {
    throwsCode(() => setEventId(record, bad), ErrorCodes.TELEM_INVALID_EVENT_ID);
    throwsCode(
      () =>
        createRecord({
          severity: 1,
          classification: 'a/b/c',
          eventId: bad,
          facts: FACTS,
          now: 0,
          random: fixedRandom,
        }),
      ErrorCodes.TELEM_INVALID_EVENT_ID,
    );
  }
  assert.equal(record.headers.event_id, before);
});

test('headers: fixed values, facts, timestamp in whole seconds, generated event id', () => {
  const record = createRecord({
    severity: 2,
    classification: 'org.example/demo/small',
    facts: FACTS,
    now: 1_700_000_000_999,
    random: fixedRandom,
  });
  assert.deepEqual(record.headers, {
    record_format_version: '4',
    classification: 'org.example/demo/small',
    severity: '2',
    machine_id: 'FFFFFFFF',
    creation_timestamp: '1700000000',
    ...FACTS,
    payload_format_version: '1',
    event_id: '00112233445566778899aabbccddeeff',
  });
  assert.equal(record.payload.length, 0, 'no payload is an empty payload, not garbage (BUG-37)');
  assert.equal(record.cfgPath, undefined);
  assert.ok(isValidEventId(record.headers.event_id));
});

test('payload format version is an unsigned 32-bit integer', () => {
  assert.equal(make(1, 'a/b/c', 0xffffffff).headers.payload_format_version, '4294967295');
  for (const bad of [-1, 2 ** 32, 1.5, Number.NaN]) {
    throwsCode(() => make(1, 'a/b/c', bad), ErrorCodes.TELEM_INVALID_PAYLOAD_VERSION);
  }
});

test('classification: C limits, with the 41-char first segment C accepts', () => {
  const s40 = 'x'.repeat(40);
  const s41 = 'x'.repeat(41);
  const valid = [
    'a/b/c',
    '//',
    `${s41}/${s40}/${'x'.repeat(39)}`,
    `${s40}/${s40}/${s40}`,
    'with space/b/c',
    'a/b/~!@#$%^&*()',
  ];
  for (const c of valid) assert.equal(classificationError(c), null, c);
  const invalid = [
    '',
    'a/b',
    'a/b/c/d',
    'abc',
    `${'x'.repeat(42)}/b/c`,
    `a/${s41}/c`,
    `a/b/${s41}`,
    'a/b/c\n',
    'a/\tb/c',
    'a/b/\x7f',
    'caf\u00e9/b/c',
    'a/b/\u{1f600}',
    `${s41}/${s41}/${s41}`,
  ];
  for (const c of invalid) {
    assert.notEqual(classificationError(c), null, JSON.stringify(c));
    throwsCode(() => validateClassification(c), ErrorCodes.TELEM_INVALID_CLASSIFICATION);
  }
  // 123 chars with valid segments is still too long overall.
  assert.match(classificationError(`${s41}/${s40}/${s40}`) ?? '', /longer than 122/);
});

test('payload: printable ASCII and whitespace, up to 8192 bytes, never truncated', () => {
  const record = make(1, 'a/b/c');
  const all = Buffer.from(
    Array.from({ length: 256 }, (_, b) => b).filter((b) => (b >= 9 && b <= 13) || (b >= 32 && b <= 126)),
  );
  assert.deepEqual(setPayload(record, all).payload, all);
  assert.equal(setPayload(record, 'x'.repeat(8192)).payload.length, 8192);
  throwsCode(() => setPayload(record, 'x'.repeat(8193)), ErrorCodes.TELEM_PAYLOAD_TOO_LARGE);
  for (const bad of ['a\0b', 'caf\u00e9', '\x08', '\x7f', Uint8Array.of(0x80)]) {
    throwsCode(() => setPayload(record, bad), ErrorCodes.TELEM_INVALID_PAYLOAD);
  }
  assert.equal(record.payload.length, 0, 'setPayload returns a copy');
});
