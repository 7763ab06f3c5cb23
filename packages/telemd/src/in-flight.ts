// Work started and not yet finished, so that close() can wait for it: a
// delivery attempt, a journal write, an OTLP export, a connection. One rule
// for all of them: a promise leaves the set when it settles, and settled()
// waits until the set is empty, including work started while it waits.
export interface InFlight {
  readonly size: number;
  /** Track `work` until it settles; returns the tracked promise (settles with `work`). */
  track<T>(work: Promise<T>): Promise<T>;
  /** Resolves once nothing is in flight; rejections are the trackers' callers' business. */
  settled(): Promise<void>;
  /** What is in flight now (for Promise.race). */
  values(): Iterable<Promise<unknown>>;
}

export function createInFlight(): InFlight {
  const running = new Set<Promise<unknown>>();
  return {
    get size() {
      return running.size;
    },
    track(work) {
      const p = work.finally(() => running.delete(p));
      running.add(p);
      return p;
    },
    async settled() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    values: () => running.values(),
  };
}
