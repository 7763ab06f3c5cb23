import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { frameLocation, neverGuilty, parseBacktraceForDisplay, parseFrame } from './backtrace.ts';

const VECTORS = new URL('../../../../test/vectors/crash/payloads/', import.meta.url);

test('frames split at the last " - [" and the last "]" (greedy, as upstream)', () => {
  assert.deepEqual(parseFrame('#0 item_length() - [/usr/bin/crashme-g] - /usr/src/crashdemo/crashme.c:44'), {
    function: 'item_length()',
    module: '/usr/bin/crashme-g',
    rest: ' - /usr/src/crashdemo/crashme.c:44',
  });
  assert.deepEqual(parseFrame('#6 ??? - [libc.so.6]'), { function: '???', module: 'libc.so.6', rest: '' });
  assert.equal(parseFrame('#x a - [b]'), null);
  assert.equal(frameLocation(' - /usr/src/crashdemo/crashme.c:44'), 'crashme.c:44');
});

test('only the first thread is shown, with the header lines', () => {
  const p = 'Process: /usr/bin/x\nPID: 12\nSignal: 11\n\nBacktrace (TID 12):\n#0 a() - [m]\n#1 b() - [m]\n\nBacktrace (TID 13):\n#0 c() - [m]\n';
  const bt = parseBacktraceForDisplay(p);
  assert.equal(bt.process, '/usr/bin/x');
  assert.equal(bt.signal, '11');
  assert.deepEqual(
    bt.frames.map((f) => f.function),
    ['a()', 'b()'],
  );
  assert.equal(neverGuilty({ function: '_start()', module: 'x', rest: '' }), true);
  assert.equal(neverGuilty({ function: '__libc_start_main@@GLIBC_2.34()', module: 'libc.so.6', rest: '' }), true);
});

test('the crash vectors with a backtrace parse to frames', () => {
  for (const name of readdirSync(VECTORS)) {
    const bt = parseBacktraceForDisplay(readFileSync(new URL(name, VECTORS), 'utf8'));
    assert.equal(bt.frames.length > 0, !name.includes('third-party'), name);
  }
});

test('any payload parses without throwing', () => {
  fc.assert(fc.property(fc.string(), (s) => Array.isArray(parseBacktraceForDisplay(s).frames)));
});

