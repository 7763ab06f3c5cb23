// Upstream's purge (spec/collector.md §9), as configuration: records of each listed class
// (`*` a wildcard, SQL LIKE as upstream) go once their server time is older than the class's
// day count; every other record after max-days-keep-unfiltered-records (0 keeps them). Events
// and OTLP logs follow the unfiltered rule. Runs daily at purge-at (local time, 04:30 upstream).
import type { Db } from './db/types.ts';

export interface PurgeFilter {
  readonly pattern: string;
  readonly days: number;
}
export interface PurgeRules {
  readonly enabled: boolean;
  readonly filtered: readonly PurgeFilter[];
  readonly unfilteredDays: number;
  /** HH:MM local time. */
  readonly at: string;
}

export const DEFAULT_PURGE: PurgeRules = {
  enabled: true,
  filtered: [{ pattern: 'org.clearlinux/hello/world', days: 1 }],
  unfilteredDays: 35,
  at: '04:30',
};

/** `class:days, class:days` (upstream's PURGE_FILTERED_RECORDS as a list). [pure] */
export function parsePurgeFilters(text: string): PurgeFilter[] {
  if (text.trim() === '') return [];
  return text.split(',').map((item) => {
    const m = /^\s*(\S+):([0-9]+)\s*$/.exec(item);
    if (!m) throw new Error(`invalid purge-filtered-records item '${item.trim()}': expected CLASS:DAYS`);
    return { pattern: m[1]!, days: Number(m[2]) };
  });
}

const like = (pattern: string): string => pattern.replaceAll('*', '%');

/** The DELETE statements for `nowSec`. [pure] */
export function purgeStatements(rules: PurgeRules, nowSec: number): { sql: string; params: unknown[] }[] {
  const out: { sql: string; params: unknown[] }[] = [];
  for (const f of rules.filtered) {
    out.push({
      sql: 'DELETE FROM records WHERE classification LIKE $1 AND timestamp_server < $2',
      params: [like(f.pattern), nowSec - f.days * 86400],
    });
  }
  if (rules.unfilteredDays > 0) {
    const cutoff = nowSec - rules.unfilteredDays * 86400;
    const not = rules.filtered.map((_, i) => ` AND classification NOT LIKE $${i + 2}`).join('');
    out.push({
      sql: `DELETE FROM records WHERE timestamp_server < $1${not}`,
      params: [cutoff, ...rules.filtered.map((f) => like(f.pattern))],
    });
    out.push({ sql: 'DELETE FROM telemetrics_streams WHERE received < $1', params: [cutoff] });
    out.push({ sql: 'DELETE FROM telemetrics_logs WHERE received < $1', params: [cutoff] });
  }
  return out;
}

export async function purge(db: Db, rules: PurgeRules, nowSec: number): Promise<number> {
  let deleted = 0;
  for (const { sql, params } of purgeStatements(rules, nowSec)) {
    deleted += (await db.run(sql, params)).changes;
  }
  return deleted;
}

/** Milliseconds from `now` to the next HH:MM local time. [pure] */
export function msUntil(at: string, now: Date): number {
  const [h, m] = at.split(':').map(Number) as [number, number];
  const next = new Date(now);
  next.setHours(h, m, 0, 0);
  if (next.getTime() <= now.getTime()) next.setDate(next.getDate() + 1);
  return next.getTime() - now.getTime();
}
