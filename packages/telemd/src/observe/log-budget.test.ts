import assert from 'node:assert/strict';
import test from 'node:test';
import { streakLogDue } from './log-budget.ts';

test('streakLogDue: the first of a streak, then every Nth', () => {
  const due = Array.from({ length: 30 }, (_, i) => i + 1).filter((n) => streakLogDue(n, 10));
  assert.deepEqual(due, [1, 10, 20, 30]);
  assert.equal(streakLogDue(2, 100), false);
  assert.equal(streakLogDue(200, 100), true);
});
