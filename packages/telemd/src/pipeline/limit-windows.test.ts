import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createLimiter } from './limiter.ts';
import {
  createWindows,
  type MinuteWindows,
  minutesUntilAllowed,
  windowAdd,
  windowAllows,
  windowCount,
} from './limit-windows.ts';

/**
 * C's slots are minutes of the hour; ours are absolute minutes. A C slot [s]
 * maps to the latest absolute minute <= `now` with that minute of the hour,
 * i.e. what the C array would hold if each slot had been written once within
 * the last hour. `now` is placed in the second hour so earlier slots exist.
 */
function fromCSlots(nowOfHour: number, slots: Record<number, number>): { w: MinuteWindows; now: number } {
  const now = 60 + nowOfHour;
  const w = createWindows();
  for (const [slot, count] of Object.entries(slots)) {
    let minute = 60 + Number(slot);
    if (minute > now) minute -= 60;
    windowAdd(w, minute, count);
  }
  return { w, now };
}

// spec c-client.md 8.6, tests/check_postd.c
const cVectors: Array<{
  minute: number;
  window: number;
  limit: number;
  inc: number;
  slots: Record<number, number>;
  allowed: boolean;
}> = [
  { minute: 3, window: 15, limit: 30, inc: 1, slots: { 1: 10, 7: 10, 10: 20, 55: 10 }, allowed: true },
  { minute: 24, window: 30, limit: 30, inc: 1, slots: { 3: 10, 4: 10, 6: 10, 27: 10 }, allowed: false },
  {
    minute: 3,
    window: 15,
    limit: 64000,
    inc: 20000,
    slots: { 1: 32000, 7: 10000, 10: 45000, 55: 11000 },
    allowed: true,
  },
  {
    minute: 15,
    window: 15,
    limit: 100000,
    inc: 80000,
    slots: { 1: 32000, 7: 10000, 10: 32300, 55: 31000 },
    allowed: false,
  },
];

for (const v of cVectors) {
  test(`C vector: minute ${v.minute} window ${v.window} limit ${v.limit} inc ${v.inc} -> ${v.allowed}`, () => {
    const { w, now } = fromCSlots(v.minute, v.slots);
    assert.equal(windowAllows(w, now, v.window, v.limit, v.inc), v.allowed);
  });
}

test('C update vector: window 15, updates at 7,7,45,47,47 leave 45=1, 47=2 in the window', () => {
  const w = createWindows();
  for (const m of [7, 7, 45, 47, 47]) windowAdd(w, m, 1);
  assert.equal(windowCount(w, 47, 15), 3);
  assert.equal(windowCount(w, 45, 1), 1);
  assert.equal(windowCount(w, 47, 1), 2);
  // C zeroed slot 7 at minute 45; ours still remembers it but outside the window it counts 0.
  assert.equal(windowCount(w, 47, 15) - windowCount(w, 47, 3), 0);
});

test('C update vector with inc 32000: 45=32000, 47=96000', () => {
  const w = createWindows();
  for (const m of [7, 7, 45, 47, 47, 47]) windowAdd(w, m, 32000);
  assert.equal(windowCount(w, 47, 1), 96000);
  assert.equal(windowCount(w, 47, 3), 128000);
});

test('BUG-20: counts from the same minute one hour earlier do not come back', () => {
  const w = createWindows();
  windowAdd(w, 5, 1000); // minute 5 of hour 0, never cleared by a later send (no sends happened)
  // minute 5 of hour 1: C's slot [5] would still hold 1000 and refuse.
  assert.equal(windowCount(w, 65, 15), 0);
  assert.ok(windowAllows(w, 65, 15, 10, 1));
});

test('window 0 allows iff inc <= limit; limit 0 refuses; -1 disables', () => {
  const w = createWindows();
  windowAdd(w, 10, 50);
  assert.ok(windowAllows(w, 10, 0, 5, 5));
  assert.ok(!windowAllows(w, 10, 0, 5, 6));
  assert.ok(!windowAllows(w, 10, 15, 0, 1));
  assert.ok(windowAllows(w, 10, 15, -1, 1e9));
});

test('minutesUntilAllowed: waits for the oldest minute to leave the window', () => {
  const w = createWindows();
  windowAdd(w, 100, 3);
  windowAdd(w, 102, 2);
  // window 5 at minute 103 covers 99..103: 5 counted; limit 5 refuses one more.
  assert.equal(minutesUntilAllowed(w, 103, 5, 5, 1), 2); // at 105 the window is 101..105: 2
  assert.equal(minutesUntilAllowed(w, 103, 5, 5, 6), Number.POSITIVE_INFINITY);
  assert.equal(minutesUntilAllowed(w, 103, 5, -1, 6), 0);
});

test('property: windows agree with a naive list of timestamped events', () => {
  const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
  console.log(`windows model seed=${seed}`);
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(200), fc.integer({ min: 1, max: 1000 })), { maxLength: 60 }),
      fc.integer({ min: 0, max: 59 }),
      (steps, window) => {
        const w = createWindows();
        const events: Array<[number, number]> = [];
        let minute = 0;
        for (const [advance, inc] of steps) {
          minute += advance % 7 === 0 ? advance : advance % 3; // mostly small steps, some jumps
          windowAdd(w, minute, inc);
          events.push([minute, inc]);
          const naive = events
            .filter(([m]) => m > minute - window && m <= minute)
            .reduce((a, [, n]) => a + n, 0);
          assert.equal(windowCount(w, minute, window), naive);
        }
      },
    ),
    { seed, numRuns: 300 },
  );
});

test('limiter: record and byte limits, commit only counts, monotonic clock', () => {
  let now = 10 * 60_000;
  const limiter = createLimiter(
    {
      rate_limit_enabled: true,
      record_burst_limit: 2,
      record_window_length: 1,
      byte_burst_limit: 1000,
      byte_window_length: 2,
    },
    () => now,
  );
  assert.ok(limiter.enabled);
  assert.deepEqual(limiter.check(400), { ok: true });
  assert.deepEqual(limiter.check(400), { ok: true }, 'check alone counts nothing');
  assert.ok(limiter.acquire(400).ok);
  assert.ok(limiter.acquire(400).ok);
  const refused = limiter.check(100);
  assert.equal(refused.ok, false);
  if (!refused.ok) {
    assert.equal(refused.limit, 'records');
    assert.equal(refused.retryInMs, 60_000);
  }
  now += 60_000; // record window (1 min) passed; bytes window (2 min) still holds 800
  assert.deepEqual(limiter.check(200), { ok: true });
  const bytes = limiter.check(201);
  assert.equal(bytes.ok, false);
  if (!bytes.ok) assert.equal(bytes.limit, 'bytes');
  const tooBig = limiter.check(1001);
  assert.ok(!tooBig.ok && tooBig.retryInMs === Number.POSITIVE_INFINITY);
});

test('limiter: disabled by rate_limit_enabled=false or both limits -1; bad windows fail at start', () => {
  const base = {
    rate_limit_enabled: true,
    record_burst_limit: -1,
    record_window_length: 15,
    byte_burst_limit: -1,
    byte_window_length: 20,
  };
  assert.equal(createLimiter(base, () => 0).enabled, false);
  assert.equal(
    createLimiter({ ...base, record_burst_limit: 0, rate_limit_enabled: false }, () => 0).enabled,
    false,
  );
  const zero = createLimiter({ ...base, record_burst_limit: 0 }, () => 0);
  assert.equal(zero.check(1).ok, false);
  assert.throws(
    () => createLimiter({ ...base, record_burst_limit: 5, record_window_length: 60 }, () => 0),
    (e: { code?: string }) => e.code === 'TELEM_CONFIG_VALUE',
  );
  // A bad window of a disabled limit is harmless (C exited anyway, BUG-21).
  assert.doesNotThrow(() => createLimiter({ ...base, byte_window_length: -1 }, () => 0));
});

test('limiter: acquire reserves, so parallel attempts cannot overshoot; refund gives it back', () => {
  const limiter = createLimiter(
    {
      rate_limit_enabled: true,
      record_burst_limit: 3,
      record_window_length: 5,
      byte_burst_limit: -1,
      byte_window_length: 20,
    },
    () => 0,
  );
  const got = Array.from({ length: 10 }, () => limiter.acquire(100));
  const ok = got.filter((g) => g.ok);
  assert.equal(ok.length, 3);
  const first = ok[0]!;
  assert.ok(first.ok);
  limiter.refund(first.reservation);
  assert.equal(limiter.acquire(100).ok, true);
  assert.equal(limiter.acquire(100).ok, false);
});

test('limiter: acquire() reads the clock once, so its verdict and its count use the same minute', () => {
  let reads = 0;
  // A clock that moves on by a minute at every read: two reads would check one minute and count
  // in the next.
  const limiter = createLimiter(
    {
      rate_limit_enabled: true,
      record_burst_limit: 1,
      record_window_length: 1,
      byte_burst_limit: -1,
      byte_window_length: 1,
    },
    () => 60_000 * ++reads,
  );
  const first = limiter.acquire(10);
  assert.equal(reads, 1);
  assert.ok(first.ok);
  assert.equal(first.reservation.minute, 1);
});
