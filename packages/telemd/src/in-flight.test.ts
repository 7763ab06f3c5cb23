import assert from 'node:assert/strict';
import test from 'node:test';
import { createInFlight } from './in-flight.ts';

test('settled() waits for work tracked while it waits, and a rejection leaves the set too', async () => {
  const work = createInFlight();
  let release!: () => void;
  const first = work.track(new Promise<void>((resolve) => (release = resolve)));
  const failed = work.track(Promise.reject(new Error('x')));
  await assert.rejects(failed);
  assert.equal(work.size, 1);
  let late = false;
  const done = work.settled().then(() => assert.ok(late, 'settled before the late work finished'));
  work.track(first.then(() => Promise.resolve()).then(() => (late = true)));
  release();
  await done;
  assert.equal(work.size, 0);
});
