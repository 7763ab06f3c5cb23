import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { neverGuilty, parseBacktrace } from './backtrace.ts';

const VECTORS = new URL('../../../../test/vectors/crash/payloads/', import.meta.url);

test('guilty_edit never offers _start or libc start frames', () => {
  assert.equal(neverGuilty({ function: '_start()', module: '/usr/bin/x' }), true);
  assert.equal(neverGuilty({ function: '__libc_start_main@@GLIBC_2.34()', module: 'libc.so.6' }), true);
  assert.equal(neverGuilty({ function: '__libc_start_call_main()', module: 'libc.so.6' }), false);
  assert.equal(neverGuilty({ function: 'item_length()', module: '/usr/bin/crashme-g' }), false);
});

test('every crash vector with a backtrace shows frames, the guilty marked once', () => {
  for (const name of readdirSync(VECTORS)) {
    const guilty = { function: 'main()', module: '/usr/bin/crashme-g' };
    const bt = parseBacktrace(readFileSync(new URL(name, VECTORS), 'utf8'), guilty);
    assert.equal(bt.frames.length > 0, !name.includes('third-party'), name);
    assert.ok(bt.frames.filter((f) => f.guilty).length <= 1, name);
  }
});
