import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createConnectionSlots } from './slots.ts';

test('at the cap the oldest connection idle long enough is shed; busy and young ones never are', () => {
  const slots = createConnectionSlots<string>({ max: () => 3, idleMs: 1000 });
  assert.deepEqual(slots.admit('a', 0), { admitted: true, shed: [] });
  assert.deepEqual(slots.admit('b', 10), { admitted: true, shed: [] });
  assert.deepEqual(slots.admit('c', 20), { admitted: true, shed: [] });
  slots.active('a'); // sending: not idle
  // b and c are younger than idleMs: the new one is refused (a frame may be waiting unread).
  assert.deepEqual(slots.admit('d', 500), { admitted: false, shed: [] });
  // Later b is the oldest idle one: shed for e.
  assert.deepEqual(slots.admit('e', 1015), { admitted: true, shed: ['b'] });
  assert.equal(slots.open, 3);
  slots.release('a'); // its frame is read: the slot is free
  assert.deepEqual(slots.admit('f', 1016), { admitted: true, shed: [] });
  assert.deepEqual(slots.admit('g', 5000), { admitted: true, shed: ['c'] });
});

test('2000 idle connections keep at most max slots', () => {
  const slots = createConnectionSlots<number>({ max: () => 100, idleMs: 0 });
  let shed = 0;
  for (let i = 0; i < 2000; i++) {
    const r = slots.admit(i, i);
    assert.ok(r.admitted);
    shed += r.shed.length;
  }
  assert.equal(slots.open, 100);
  assert.equal(shed, 1900);
});
