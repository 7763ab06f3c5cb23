// Retry schedule for a failing server, pure (randomness injected).
//
// Full jitter (AWS architecture blog "Exponential Backoff And Jitter"): the
// n-th consecutive failure waits uniform(0, min(cap, base * 2^n)), floored at
// MIN so a run of tiny random draws cannot hammer a dead server. Base 5 s,
// cap 30 min: 5, 10, 20, 40 s ... 30 min ceilings (Fluent Bit uses 5 s..2000 s;
// C retried at 1, 4, 9 .. 49 s only at start-up, BUG-27). A server's
// Retry-After is honoured (we never retry sooner) but capped at 1 h so a
// hostile or broken answer cannot park the spool for a day. (Parsing the
// header is outcome.ts's job.)

export const BACKOFF_BASE_MS = 5_000;
export const BACKOFF_CAP_MS = 30 * 60_000;
export const BACKOFF_MIN_MS = 1_000;
export const RETRY_AFTER_CAP_MS = 60 * 60_000;

export interface BackoffPolicy {
  readonly baseMs: number;
  readonly capMs: number;
  readonly minMs: number;
  readonly retryAfterCapMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({
  baseMs: BACKOFF_BASE_MS,
  capMs: BACKOFF_CAP_MS,
  minMs: BACKOFF_MIN_MS,
  retryAfterCapMs: RETRY_AFTER_CAP_MS,
});

/**
 * Delay before the next attempt after `failures` consecutive failures
 * (1 = the first failure). `random` returns [0, 1).
 */
export function backoffDelayMs(
  failures: number,
  random: () => number,
  retryAfterMs?: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  const exp = Math.min(Math.max(failures - 1, 0), 40); // 2^40 * base is far past any cap
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** exp);
  const jittered = Math.max(policy.minMs, Math.floor(random() * ceiling));
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs) || retryAfterMs <= 0) return jittered;
  return Math.max(jittered, Math.min(retryAfterMs, policy.retryAfterCapMs));
}
