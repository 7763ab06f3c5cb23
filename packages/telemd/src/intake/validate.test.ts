import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeFrame, type RecordHeaders } from '@telemetrics/libtelemetry/wire';
import { readVector } from '../../../../test/helpers/vectors.ts';
import { classificationError as checkClassification } from '@telemetrics/libtelemetry';
import { HOST_DERIVED_HEADERS } from '../enrich/host-facts.ts';
import { validateFrame } from './validate.ts';

const MID = '0123456789abcdef0123456789abcdef';
const FACTS = {
  arch: 'x86_64',
  host_type: 'v|p|1',
  build: '42',
  kernel_version: '6.1.0-1',
  system_name: 'debian',
  board_name: 'b|v',
  cpu_model: 'Some CPU',
  bios_version: '1.0',
};

function base(): RecordHeaders {
  const d = decodeFrame(readVector('socket/v2.4.3-special.bin'));
  assert.ok(d.ok);
  return d.value.headers;
}

function run(overrides: Partial<Record<keyof RecordHeaders, string>>, facts: object = FACTS) {
  return validateFrame(
    { headers: { ...base(), ...overrides }, payload: Buffer.from('x') },
    {
      machineId: MID,
      hostFacts: facts,
    },
  );
}

test('every C vector frame passes and gets the daemon machine id', () => {
  for (const name of [
    'hprobe',
    'hprobe-cfg',
    'heartbeat',
    'special',
    'special-cfg',
    'payload-8187',
    'payload-8192',
  ]) {
    for (const v of ['v2.3.5', 'v2.4.3']) {
      const d = decodeFrame(readVector(`socket/${v}-${name}.bin`));
      assert.ok(d.ok, `${v}-${name}`);
      const r = validateFrame(d.value, { machineId: MID, hostFacts: {} });
      assert.ok(r.ok, `${v}-${name}`);
      assert.equal(r.record.headers.machine_id, MID);
      assert.deepEqual(r.refilled, []);
      assert.deepEqual(r.record.payload, Buffer.from(d.value.payload));
      assert.equal(r.record.cfgPath, d.value.cfgPath);
    }
  }
});

describe('rejections', () => {
  const cases: [string, Partial<Record<keyof RecordHeaders, string>>, string][] = [
    ['version 3', { record_format_version: '3' }, 'TELEMD_RECORD_VERSION'],
    ['version 04', { record_format_version: '04' }, 'TELEMD_RECORD_VERSION'],
    ['empty classification', { classification: '' }, 'TELEMD_CLASSIFICATION'],
    ['one slash', { classification: 'a/b' }, 'TELEMD_CLASSIFICATION'],
    ['three slashes', { classification: 'a/b/c/d' }, 'TELEMD_CLASSIFICATION'],
    ['tab in classification', { classification: 'a/b\t/c' }, 'TELEMD_CLASSIFICATION'],
    ['non-ASCII classification', { classification: 'a/\xe9/c' }, 'TELEMD_CLASSIFICATION'],
    ['severity 0', { severity: '0' }, 'TELEMD_SEVERITY'],
    ['severity 5', { severity: '5' }, 'TELEMD_SEVERITY'],
    ['severity 01', { severity: '01' }, 'TELEMD_SEVERITY'],
    ['timestamp with letters', { creation_timestamp: '17x' }, 'TELEMD_TIMESTAMP'],
    ['empty timestamp', { creation_timestamp: '' }, 'TELEMD_TIMESTAMP'],
    ['negative payload version', { payload_format_version: '-1' }, 'TELEMD_PAYLOAD_VERSION'],
    ['11-digit payload version', { payload_format_version: '12345678901' }, 'TELEMD_PAYLOAD_VERSION'],
    ['uppercase event id', { event_id: '0123456789ABCDEF0123456789abcdef' }, 'TELEMD_EVENT_ID'],
    ['short event id', { event_id: 'abc' }, 'TELEMD_EVENT_ID'],
  ];
  for (const [name, overrides, code] of cases) {
    test(name, () => {
      const r = run(overrides);
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.code, code);
    });
  }
});

test('classification limits follow C (first segment 41, others 40, total 122)', () => {
  assert.equal(checkClassification(`${'a'.repeat(41)}/b/c`), null);
  assert.ok(checkClassification(`${'a'.repeat(42)}/b/c`));
  assert.ok(checkClassification(`a/${'b'.repeat(41)}/c`));
  assert.equal(checkClassification('//'), null);
  assert.equal(checkClassification('org.example/with space/ok'), null);
  assert.ok(checkClassification(`${'a'.repeat(41)}/${'b'.repeat(40)}/${'c'.repeat(40)}`));
});

test('empty or control-character host-derived headers are refilled from host facts', () => {
  for (const name of HOST_DERIVED_HEADERS) {
    for (const bad of ['', 'a\tb', 'x\x7f']) {
      const r = run({ [name]: bad });
      assert.ok(r.ok, `${name}=${JSON.stringify(bad)}`);
      assert.equal(r.record.headers[name], FACTS[name]);
      assert.deepEqual(r.refilled, [name]);
    }
  }
});

test('a host-derived header the daemon cannot refill rejects the record', () => {
  const r = run({ cpu_model: '' }, {});
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.code, 'TELEMD_HEADER_VALUE');
});

test('values with spaces stay whole', () => {
  const r = run({
    cpu_model: 'Intel(R) Core(TM) i7-8665U CPU @ 1.90GHz',
    host_type: 'QEMU|Standard PC (Q35)|x',
  });
  assert.ok(r.ok);
  assert.equal(r.record.headers.cpu_model, 'Intel(R) Core(TM) i7-8665U CPU @ 1.90GHz');
});
