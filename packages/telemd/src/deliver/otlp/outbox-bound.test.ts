import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { expiredItems, keptAt, type OutboxItem, overBound, tooLarge } from './outbox-bound.ts';

const at = (ms: number, n = 0) => `${String(ms).padStart(15, '0')}-${String(n).padStart(6, '0')}-id`;
const unlimited = { files: -1, bytes: -1, expiryMs: -1 };

test('keptAt reads the ms an outbox name starts with; NaN for a name that is not one', () => {
  assert.equal(keptAt(at(1_700_000_000_123)), 1_700_000_000_123);
  assert.ok(Number.isNaN(keptAt('foreign-name')));
});

test('expiredItems: the leading items older than the expiry, none when it is negative', () => {
  const items = [at(1000), at(2000), at(9000)].map((name) => ({ name, bytes: 1 }));
  const bound = { ...unlimited, expiryMs: 5000 };
  assert.deepEqual(
    expiredItems(items, bound, 8000).map((i) => i.name),
    [at(1000), at(2000)],
  );
  assert.deepEqual(expiredItems(items, bound, 6500), [items[0]]);
  assert.deepEqual(expiredItems(items, unlimited, 1e12), []);
  assert.deepEqual(expiredItems([{ name: 'foreign', bytes: 1 }], bound, 1e12), []);
});

test('tooLarge only against a non-negative byte bound', () => {
  assert.equal(tooLarge(11, { ...unlimited, bytes: 10 }), true);
  assert.equal(tooLarge(10, { ...unlimited, bytes: 10 }), false);
  assert.equal(tooLarge(1e9, unlimited), false);
});

test('overBound evicts the shortest oldest-first prefix after which files and bytes fit', () => {
  const item = fc.record({ name: fc.constant(''), bytes: fc.integer({ min: 0, max: 100 }) });
  fc.assert(
    fc.property(
      fc.array(item, { maxLength: 30 }),
      fc.integer({ min: -1, max: 30 }),
      fc.integer({ min: -1, max: 2000 }),
      (raw, files, bytes) => {
        const items: OutboxItem[] = raw.map((r, i) => ({ ...r, name: at(i) }));
        const bound = { files, bytes, expiryMs: -1 };
        const out = overBound(items, bound);
        assert.deepEqual(out, items.slice(0, out.length), 'oldest first');
        const fits = (rest: readonly OutboxItem[]) =>
          (files < 0 || rest.length <= files) &&
          (bytes < 0 || rest.reduce((s, i) => s + i.bytes, 0) <= bytes);
        assert.ok(fits(items.slice(out.length)), 'what stays fits');
        if (out.length > 0) assert.ok(!fits(items.slice(out.length - 1)), 'no more than needed');
      },
    ),
  );
});
