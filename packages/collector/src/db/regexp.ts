// SQLite's `value REGEXP pattern`: a JavaScript search, like PostgreSQL's `~`. Registered on the
// collector's connection and on each read thread's (sqlite-reads.ts sends this function's
// source to the thread, so it must use nothing but its parameters and globals).
import type { DatabaseSync } from 'node:sqlite';

export function registerRegexp(db: DatabaseSync, cacheMax: number): void {
  const regexps = new Map<string, RegExp>();
  db.function('regexp', { deterministic: true }, (pattern, value) => {
    if (value === null || pattern === null) return null;
    let re = regexps.get(String(pattern));
    if (re === undefined) {
      re = new RegExp(String(pattern));
      if (regexps.size >= cacheMax) regexps.clear();
      regexps.set(String(pattern), re);
    }
    return re.test(String(value)) ? 1 : 0;
  });
}
