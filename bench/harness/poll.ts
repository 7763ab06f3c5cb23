// Polling with a deadline for conditions no event announces (a file count in a directory).
import { setTimeout as delay } from 'node:timers/promises';

/** hrtime at which check() first returned true, or null at the deadline. */
export async function pollUntil(
  check: () => boolean,
  timeoutMs: number,
  intervalMs: number,
): Promise<bigint | null> {
  const deadline = process.hrtime.bigint() + BigInt(Math.round(timeoutMs * 1e6));
  for (;;) {
    if (check()) return process.hrtime.bigint();
    if (process.hrtime.bigint() >= deadline) return null;
    await delay(intervalMs);
  }
}
