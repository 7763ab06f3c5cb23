// The one way tests wait for a state that has no event to await (a file appearing, a counter
// reaching a value, a container booting): poll with a deadline, never sleep a fixed time.
// intervalMs 0 re-checks on the next turn of the event loop (setImmediate): for in-process
// state that changes as soon as I/O callbacks run; a positive interval spares a busy machine
// when the state lives in another process or the file system.

export interface PollOptions {
  /** Give up after this long (default 10 s; generous: tests run two at a time on a loaded machine). */
  readonly timeoutMs?: number;
  /** Between checks; 0 (default) = the next turn of the event loop. */
  readonly intervalMs?: number;
}

function pause(intervalMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (intervalMs <= 0) setImmediate(resolve);
    else setTimeout(resolve, intervalMs);
  });
}

/**
 * The first value `probe` gives other than undefined; rejects after the deadline with
 * "timed out waiting for <what>" (`what` may be a function: read at the deadline, e.g. a log).
 */
export async function pollFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string | (() => string),
  options: PollOptions = {},
): Promise<T> {
  const deadline = performance.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) {
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await pause(options.intervalMs ?? 0);
  }
}

/** Wait until `predicate` holds; rejects after `timeoutMs` (default 10 s) with `what`. */
export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  what: string | (() => string),
  timeoutMs = 10_000,
  intervalMs = 0,
): Promise<void> {
  await pollFor(async () => ((await predicate()) ? true : undefined), what, { timeoutMs, intervalMs });
}
