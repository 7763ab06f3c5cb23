import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { readVector } from '../../../../test/helpers/vectors.ts';
import { findGuilty, parseBacktrace } from './guilty.ts';
import { pySplitLines } from './lines.ts';

const payload = (name: string): string => readVector(`crash/payloads/${name}.payload.txt`).toString('utf8');

describe('findGuilty on the crash vectors (spec §8.3 table)', () => {
  const cases: [string, string, string][] = [
    ['v2.4.3-crashme-g', 'item_length()', '/usr/bin/crashme-g'],
    ['v2.4.3-crashme-O2', 'item_length()', '/usr/bin/crashme-O2'],
    ['v2.4.3-crashme-strip', '__libc_start_call_main()', 'libc.so.6'],
    ['v2.4.3-crashme-mt', 'worker_step()', '/usr/bin/crashme-mt'],
  ];
  for (const [name, fn, module] of cases) {
    test(name, () => assert.deepEqual(findGuilty(payload(name), []), { function: fn, module }));
  }

  test('blacklisting item_length() moves crashme-g to process_list()', () => {
    const g = findGuilty(payload('v2.4.3-crashme-g'), [
      { function: 'item_length()', module: '/usr/bin/crashme-g' },
    ]);
    assert.equal(g?.function, 'process_list()');
  });

  test('blacklisting both libc start frames makes crashme-strip fall back to its first ???', () => {
    const g = findGuilty(payload('v2.4.3-crashme-strip'), [
      { function: '__libc_start_call_main()', module: 'libc.so.6' },
      { function: '__libc_start_main@@GLIBC_2.34()', module: 'libc.so.6' },
    ]);
    assert.deepEqual(g, { function: '???', module: '/usr/bin/crashme-strip' });
  });

  test('blacklisting every frame of crashme-g yields the last frame scanned (_start())', () => {
    const text = payload('v2.4.3-crashme-g');
    const all = parseBacktrace(text).frames.map((f) => ({ function: f.function, module: f.module }));
    assert.equal(findGuilty(text, all)?.function, '_start()');
  });

  test('no frame lines: no guilty (third-party crash)', () => {
    assert.equal(findGuilty(payload('v2.4.3-third-party'), []), null);
  });

  test('a frame on the first line is ignored; a later "? name" kernel frame can be guilty', () => {
    assert.equal(findGuilty('#0 a() - [m]\n', []), null);
    const oops = 'Oops\n#0 ??? - [kernel]\n#1 ? helper - [kernel]\n#2 later - [kernel]\n';
    assert.deepEqual(findGuilty(oops, []), { function: '? helper', module: 'kernel' });
  });

  test('greedy groups: the function runs to the last " - [" that a "]" follows', () => {
    assert.deepEqual(findGuilty('P\n#0 f - [x] - [m] - a.c:1\n', []), { function: 'f - [x]', module: 'm' });
  });
});

describe('parseBacktrace', () => {
  test('crashprobe payload: header lines, first thread, file basenames, the guilty marked', () => {
    const text = payload('v2.4.3-crashme-g');
    const bt = parseBacktrace(text, { function: 'item_length()', module: '/usr/bin/crashme-g' });
    assert.equal(bt.process, '/usr/bin/crashme-g');
    assert.ok(bt.pid !== null && bt.signal === 11 && bt.tid !== null);
    assert.equal(bt.frames[0]?.display, 'item_length() - [/usr/bin/crashme-g] - crashme.c:44');
    assert.deepEqual(
      bt.frames.filter((f) => f.guilty).map((f) => f.function),
      ['item_length()'],
    );
  });

  test('stops at the second thread', () => {
    const text = 'Process: x\n\nBacktrace (TID 1):\n#0 a() - [m]\n\nBacktrace (TID 2):\n#0 b() - [m]\n';
    assert.deepEqual(
      parseBacktrace(text).frames.map((f) => f.function),
      ['a()'],
    );
  });
});

test('pySplitLines splits as Python str.splitlines()', () => {
  assert.deepEqual(pySplitLines('a\r\nb\rc\x0bd\x1ce\u2028f\n'), ['a', 'b', 'c', 'd', 'e', 'f']);
  assert.deepEqual(pySplitLines('a\n\n'), ['a', '']);
  assert.deepEqual(pySplitLines(''), []);
});

test('fuzz: findGuilty and parseBacktrace never throw, and the guilty is a frame of the payload', () => {
  const line = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc
      .tuple(fc.nat(20), fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }))
      .map(([n, f, m]) => `#${n} ${f || '???'} - [${m}]`),
  );
  fc.assert(
    fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
      const text = lines.join('\n');
      const g = findGuilty(text, []);
      parseBacktrace(text, g);
      if (g !== null) assert.ok(text.includes(` - [${g.module}]`));
    }),
    { numRuns: 500 },
  );
});
