import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Memo } from './memo.ts';

test('computes once, serves stale past the TTL while one refresh runs, then the new value', async () => {
  let now = 0;
  let calls = 0;
  let release: (() => void) | undefined;
  const m = new Memo(1000, () => now);
  const compute = async () => {
    calls++;
    if (calls === 2) await new Promise<void>((r) => (release = r));
    return calls;
  };
  assert.equal(await m.get('k', compute), 1);
  assert.equal(await m.get('k', compute), 1);
  now = 2000;
  assert.equal(await m.get('k', compute), 1); // stale, refresh started
  assert.equal(await m.get('k', compute), 1); // still one refresh
  assert.equal(calls, 2);
  release?.();
  await new Promise((r) => setImmediate(r));
  assert.equal(await m.get('k', compute), 2);
});

test('concurrent first gets share one computation; invalidate forces a fresh one', async () => {
  let calls = 0;
  const m = new Memo(1000, () => 0);
  const compute = async () => ++calls;
  const [a, b] = await Promise.all([m.get('crashes:x', compute), m.get('crashes:x', compute)]);
  assert.deepEqual([a, b, calls], [1, 1, 1]);
  m.invalidate('crashes:');
  assert.equal(await m.get('crashes:x', compute), 2);
});

test('a failed first computation is reported and retried on the next get', async () => {
  let fail = true;
  const m = new Memo(1000, () => 0);
  const compute = async () => {
    if (fail) throw new Error('db down');
    return 7;
  };
  await assert.rejects(m.get('k', compute), /db down/);
  fail = false;
  assert.equal(await m.get('k', compute), 7);
});
