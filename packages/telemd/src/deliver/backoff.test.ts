import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  BACKOFF_BASE_MS,
  BACKOFF_CAP_MS,
  BACKOFF_MIN_MS,
  backoffDelayMs,
  RETRY_AFTER_CAP_MS,
} from './backoff.ts';

test('ceilings double from the base up to the cap', () => {
  const top = () => 0.999999999;
  const ceilings = [1, 2, 3, 4, 5, 10, 20, 100].map((n) => backoffDelayMs(n, top));
  assert.deepEqual(ceilings.slice(0, 5), [4999, 9999, 19999, 39999, 79999]);
  assert.equal(ceilings[5], BACKOFF_CAP_MS - 1);
  assert.equal(ceilings[7], BACKOFF_CAP_MS - 1);
});

test('full jitter is floored at the minimum', () => {
  assert.equal(
    backoffDelayMs(1, () => 0),
    BACKOFF_MIN_MS,
  );
  assert.equal(
    backoffDelayMs(3, () => 0.5),
    10_000,
  );
});

test('Retry-After is honoured but capped', () => {
  assert.equal(
    backoffDelayMs(1, () => 0, 120_000),
    120_000,
  );
  assert.equal(
    backoffDelayMs(1, () => 0, 24 * 3600_000),
    RETRY_AFTER_CAP_MS,
  );
  // A jittered delay longer than Retry-After wins: never retry sooner than both.
  assert.equal(
    backoffDelayMs(10, () => 0.5, 2_000),
    BACKOFF_CAP_MS / 2,
  );
  assert.equal(
    backoffDelayMs(1, () => 0, Number.NaN),
    BACKOFF_MIN_MS,
  );
});

test('property: delay within [min, max(cap, capped Retry-After)]', () => {
  const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
  console.log(`backoff seed=${seed}`);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 10_000 }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      fc.option(fc.integer({ min: 0, max: 10 * 86_400_000 }), { nil: undefined }),
      (n, r, ra) => {
        const d = backoffDelayMs(n, () => r, ra);
        assert.ok(d >= BACKOFF_MIN_MS);
        assert.ok(d <= Math.max(BACKOFF_CAP_MS, RETRY_AFTER_CAP_MS));
        if (ra !== undefined) assert.ok(d >= Math.min(ra, RETRY_AFTER_CAP_MS));
        assert.ok(d <= Math.max(BACKOFF_MIN_MS, BACKOFF_BASE_MS * 2 ** Math.max(n - 1, 0), ra ?? 0));
      },
    ),
    { seed, numRuns: 500 },
  );
});
