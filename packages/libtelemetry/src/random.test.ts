import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomBytes } from './random.ts';

test('randomBytes gives the size asked for, and different bytes each time', () => {
  for (const size of [0, 1, 16, 4096]) assert.equal(randomBytes(size).length, size);
  const seen = new Set<string>();
  for (let i = 0; i < 64; i++) seen.add(randomBytes(16).toString('hex'));
  // 64 draws of 128 bits: a repeat means the bytes are not random (or not refilled)
  assert.equal(seen.size, 64);
  // every byte value shows up across 64 KiB: a stuck or biased source would not cover them
  const counts = new Uint32Array(256);
  for (const b of randomBytes(65_536)) counts[b] = (counts[b] ?? 0) + 1;
  assert.ok(counts.every((c) => c > 0));
});
