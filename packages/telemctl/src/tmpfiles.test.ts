import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lookupId, parseWorkDirs } from './tmpfiles.ts';

test('only "d <dir> <mode> telemetry telemetry -" lines are work dirs (spec 13.4)', () => {
  const text = [
    'd /var/lib/telemetry 0755 telemetry telemetry -',
    '  d   /var/spool/telemetry\t0750 telemetry telemetry -  ',
    '# d /commented 0750 telemetry telemetry -',
    'd /var/cache/x 0750 root root -',
    'D /var/tmp/x 0750 telemetry telemetry -',
    'd relative 0750 telemetry telemetry -',
    'd /var/age 0750 telemetry telemetry 10d',
    '',
  ].join('\n');
  assert.deepEqual(parseWorkDirs(text), ['/var/lib/telemetry', '/var/spool/telemetry']);
});

test('lookupId reads passwd and group lines', () => {
  assert.equal(lookupId('root:x:0:0::/root:/bin/sh\ntelemetry:x:997:995::/:/bin/false\n', 'telemetry'), 997);
  assert.equal(lookupId('telemetry:x:996:\n', 'telemetry'), 996);
  assert.equal(lookupId('telemetryx:x:1:\n', 'telemetry'), null);
  assert.equal(lookupId('', 'telemetry'), null);
});
