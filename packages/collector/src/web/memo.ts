// Aggregates over the whole table (records per build, class and platform, population, MCE,
// thermal, updates, the crash charts and top guilties) are computed at most once a minute per
// key: on a million records they take a second, and they change slowly. Upstream cached them
// ten minutes in redis. Past the minute the stale value is still served at once while one
// refresh runs; a change made in the views (comment, hide, blacklist) invalidates its keys.

interface Entry {
  at: number;
  has: boolean;
  value: unknown;
  pending: Promise<unknown> | undefined;
}

export const MEMO_TTL_MS = 60_000;

export class Memo {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #nowMs: () => number;

  constructor(ttlMs: number, nowMs: () => number) {
    this.#ttlMs = ttlMs;
    this.#nowMs = nowMs;
  }

  get<T>(key: string, compute: () => Promise<T>): Promise<T> {
    let e = this.#entries.get(key);
    if (e === undefined) {
      e = { at: 0, has: false, value: undefined, pending: undefined };
      this.#entries.set(key, e);
    }
    if (!e.has) return (e.pending ?? this.#refresh(key, e, compute)) as Promise<T>;
    if (this.#nowMs() - e.at > this.#ttlMs && e.pending === undefined) {
      this.#refresh(key, e, compute).catch(() => {}); // the stale value stays until one succeeds
    }
    return Promise.resolve(e.value as T);
  }

  #refresh(key: string, e: Entry, compute: () => Promise<unknown>): Promise<unknown> {
    const started = this.#nowMs();
    const p = compute().then(
      (value) => {
        // an invalidation while computing makes this result stale: it is dropped
        if (this.#entries.get(key) === e) Object.assign(e, { at: started, has: true, value });
        e.pending = undefined;
        return value;
      },
      (error: unknown) => {
        e.pending = undefined;
        throw error;
      },
    );
    e.pending = p;
    return p;
  }

  /** Forget every key starting with `prefix`; the next get computes afresh. */
  invalidate(prefix: string): void {
    for (const key of [...this.#entries.keys()]) if (key.startsWith(prefix)) this.#entries.delete(key);
  }
}
