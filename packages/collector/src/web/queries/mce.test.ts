import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mceStatus, summariseMce, thermalWeeks, updateMatrix, weekOfYear } from './mce.ts';

test('the MCE status is the last 8 hex digits before MCGSTATUS on a STATUS line', () => {
  const p = 'CPU 0 BANK 5\nSTATUS 9c00000000010090 MCGSTATUS 0\nADDR 1234';
  assert.equal(mceStatus(p), '00010090');
  assert.equal(mceStatus('nothing here'), null);
});

test('weeks are Sunday-based as strftime %U', () => {
  // 2026-01-01 is a Thursday: week 0 until Saturday 3rd, week 1 from Sunday 4th.
  assert.equal(weekOfYear(Date.UTC(2026, 0, 3, 12) / 1000), 0);
  assert.equal(weekOfYear(Date.UTC(2026, 0, 4, 0) / 1000), 1);
  assert.deepEqual(
    thermalWeeks([Date.UTC(2026, 0, 4) / 1000, Date.UTC(2026, 0, 5) / 1000, Date.UTC(2026, 0, 1) / 1000]),
    [
      [1, 2],
      [0, 1],
    ],
  );
});

test('MCE summary counts per class, build, status and machine', () => {
  const t = Date.UTC(2026, 2, 1) / 1000;
  const s = summariseMce([
    {
      classification: 'c1',
      build: '20',
      machine_id: 'm1',
      timestamp_client: t,
      payload: 'STATUS aaaaaaaabbbbbbbb MCGSTATUS 0',
    },
    { classification: 'c1', build: '10', machine_id: 'm1', timestamp_client: t, payload: '' },
    { classification: 'c2', build: '10', machine_id: 'm2', timestamp_client: t, payload: '' },
  ]);
  assert.deepEqual(s.perClass, [
    ['c1', 2],
    ['c2', 1],
  ]);
  assert.deepEqual(s.perBuild, [
    ['10', 2],
    ['20', 1],
  ]);
  assert.deepEqual(s.perStatus, [['bbbbbbbb', 1]]);
  assert.equal(s.machines[0]?.machine_id, 'm1');
  assert.equal(s.machines[0]?.total, 2);
});

test('the update matrix counts from/to pairs and skips no-op and malformed payloads', () => {
  const m = updateMatrix([
    'a\nb\ncurrent_version=10\nserver_version=20\n',
    'a\nb\ncurrent_version=10\nserver_version=20',
    'a\nb\ncurrent_version=20\nserver_version=20',
    'short',
  ]);
  assert.deepEqual(m.versions, [10, 20]);
  assert.equal(m.count(10, 20), 2);
  assert.equal(m.count(20, 10), 0);
});
