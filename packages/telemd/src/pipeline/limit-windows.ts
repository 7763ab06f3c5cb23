// Sliding minute windows for rate limiting (spec c-client.md 8.2-8.4), pure.
//
// C kept 60 counters indexed by the wall-clock minute of the hour and zeroed
// "future" slots only after a successful send, so counts from an earlier hour
// could reappear inside the window (BUG-20), and wall-clock jumps moved the
// window (BUG-51). Here each of the 60 slots remembers which absolute minute
// it counts (minute = floor(monotonic ms / 60 000)); a slot whose minute is
// not inside the window counts 0, whatever happened in between.

export const WINDOW_SLOTS = 60;
export const MS_PER_MINUTE = 60_000;
/** Largest window C accepts (`record_window_length`, `byte_window_length`: 0..59). */
export const MAX_WINDOW_MINUTES = WINDOW_SLOTS - 1;

export interface MinuteWindows {
  /** Absolute minute each slot counts; -Infinity when unused. */
  readonly minutes: Float64Array;
  readonly counts: Float64Array;
}

export function createWindows(): MinuteWindows {
  return { minutes: new Float64Array(WINDOW_SLOTS).fill(-Infinity), counts: new Float64Array(WINDOW_SLOTS) };
}

export function minuteOf(monotonicMs: number): number {
  return Math.floor(monotonicMs / MS_PER_MINUTE);
}

function slotOf(minute: number): number {
  return ((minute % WINDOW_SLOTS) + WINDOW_SLOTS) % WINDOW_SLOTS;
}

/** Sum over the `window` minutes ending at (and including) `minute`. */
export function windowCount(w: MinuteWindows, minute: number, window: number): number {
  let sum = 0;
  for (let m = minute - window + 1; m <= minute; m++) {
    const s = slotOf(m);
    if (w.minutes[s] === m) sum += w.counts[s]!;
  }
  return sum;
}

/**
 * C rate_limit_check(): allowed when the window's count plus `inc` does not
 * exceed `limit`. `limit < 0` disables the limit (C: `<= -1`); `window = 0`
 * means "this record alone" (allowed iff inc <= limit), as in C.
 */
export function windowAllows(
  w: MinuteWindows,
  minute: number,
  window: number,
  limit: number,
  inc: number,
): boolean {
  if (limit < 0) return true;
  return windowCount(w, minute, window) + inc <= limit;
}

/** C rate_limit_update(): add `inc` to the current minute. */
export function windowAdd(w: MinuteWindows, minute: number, inc: number): void {
  const s = slotOf(minute);
  if (w.minutes[s] !== minute) {
    w.minutes[s] = minute;
    w.counts[s] = 0;
  }
  w.counts[s]! += inc;
}

/** Undo windowAdd(w, minute, inc) (a reservation whose delivery failed). */
export function windowSubtract(w: MinuteWindows, minute: number, inc: number): void {
  const s = slotOf(minute);
  if (w.minutes[s] === minute) w.counts[s] = Math.max(0, w.counts[s]! - inc);
}

/**
 * Minutes from `minute` until a refused `inc` could fit again if nothing else
 * is added (the oldest counted minutes leave the window one by one); Infinity
 * when it can never fit (inc > limit).
 */
export function minutesUntilAllowed(
  w: MinuteWindows,
  minute: number,
  window: number,
  limit: number,
  inc: number,
): number {
  if (limit < 0) return 0;
  if (inc > limit) return Number.POSITIVE_INFINITY;
  for (let wait = 0; wait <= window; wait++) {
    if (windowCount(w, minute + wait, window) + inc <= limit) return wait;
  }
  return window;
}
