// A warning that a client can trigger at will (a rejected frame, a shed
// connection) is logged at most once per interval: the first at once, the
// rest counted and summed up in one line when the interval ends. A fuzz run
// wrote 4924 warning lines before; a shed burst of 426 said shed=1.
import type { Logger } from '@telemetrics/libtelemetry/log';

type Fields = Record<string, string | number | undefined>;

export interface LogBudget {
  /** Log (or count) one event; `key` groups the counts of the summary line (e.g. a code). */
  note(key: string, fields: Fields): void;
  /** Log what is still counted, now (at close). */
  flush(): void;
}

export function createLogBudget(options: {
  readonly logger: Logger;
  readonly level: 'warning' | 'notice' | 'info';
  readonly message: string;
  readonly intervalMs: number;
  /** Field that carries the number of events a line stands for (e.g. `shed`). */
  readonly countField: string;
}): LogBudget {
  const { logger, level, message, intervalMs, countField } = options;
  let timer: NodeJS.Timeout | undefined;
  let counts = new Map<string, number>();
  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (counts.size === 0) return;
    let total = 0;
    for (const n of counts.values()) total += n;
    const byKey = [...counts].map(([k, n]) => `${k}:${n}`).join(',');
    counts = new Map();
    logger.log(level, `${message} (summary)`, {
      [countField]: total,
      by_code: byKey,
      interval_ms: intervalMs,
    });
  }
  return {
    note(key, fields) {
      if (timer === undefined) {
        logger.log(level, message, { ...fields, [countField]: 1 });
        timer = setTimeout(flush, intervalMs);
        timer.unref();
        return;
      }
      counts.set(key, (counts.get(key) ?? 0) + 1);
    },
    flush,
  };
}

/**
 * The other throttle, for a failure that repeats with every record or attempt (a full disk, a
 * dead server): log the first of a streak, then every `every`-th, with the count in the line.
 * `n` counts the streak from 1.
 */
export function streakLogDue(n: number, every: number): boolean {
  return n === 1 || n % every === 0;
}
