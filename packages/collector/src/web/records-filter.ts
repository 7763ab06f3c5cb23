// The records filters (query string -> validated filter -> SQL), pure.
// Upstream offered `a/*` classification choices that only worked in the CSV
// export; here a `*` in the classification is a wildcard everywhere.
import type { Dialect } from '../db/types.ts';
import { Where } from './sql.ts';

export interface RecordFilter {
  classification?: string;
  build?: string;
  severity?: number;
  machine_id?: string;
  payload?: string;
  not_payload?: string;
  data_source?: 'external' | 'internal';
}

export const FILTER_KEYS = [
  'classification',
  'build',
  'severity',
  'machine_id',
  'payload',
  'not_payload',
  'data_source',
] as const;

export class FilterError extends Error {}

const MAX_REGEX_CHARS = 256;

/**
 * True when a quantified group holds a quantifier, as `(a+)+` or `(\w*x)*`: such a pattern can
 * take exponential time on one payload, and on SQLite it runs on the collector's own thread,
 * where it would stall ingestion too. A cheap scan (star height), not a full parse: it may
 * refuse a harmless pattern, never the reverse for these shapes.
 */
export function hasNestedQuantifier(pattern: string): boolean {
  const groups: boolean[] = []; // per open group: holds a quantifier
  let lastGroupQuantified = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    const afterGroup = lastGroupQuantified;
    lastGroupQuantified = false;
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      // a class is one atom: skip to its closing bracket
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') i++;
      continue;
    }
    if (c === '(') groups.push(false);
    else if (c === ')') lastGroupQuantified = groups.pop() ?? false;
    else if (c === '*' || c === '+' || c === '{' || c === '?') {
      if (c === '?' && pattern[i - 1] === '(') continue; // (?: (?= (?<name>
      if (afterGroup && c !== '?') return true;
      if (groups.length > 0 && c !== '?') groups[groups.length - 1] = true;
    }
  }
  return false;
}

function checkRegex(name: string, pattern: string): string {
  if (pattern.length > MAX_REGEX_CHARS)
    throw new FilterError(`${name}: at most ${MAX_REGEX_CHARS} characters`);
  try {
    new RegExp(pattern);
  } catch {
    throw new FilterError(`${name}: not a valid regular expression`);
  }
  if (hasNestedQuantifier(pattern)) {
    throw new FilterError(
      `${name}: a repeated group that repeats inside, such as (a+)+, can take exponential time`,
    );
  }
  return pattern;
}

/** The filter as typed, unchecked: refills the form after a FilterError (never queried). */
export function typedFilter(q: URLSearchParams): RecordFilter {
  try {
    return parseFilter(q, false);
  } catch {
    return {};
  }
}

/** Empty values and upstream's `All` mean "no filter". */
export function parseFilter(q: URLSearchParams, strict = true): RecordFilter {
  const get = (k: string): string | undefined => {
    const v = q.get(k);
    return v === null || v === '' || v === 'All' ? undefined : v;
  };
  const f: RecordFilter = {};
  const classification = get('classification');
  if (classification) f.classification = classification;
  const build = get('build');
  if (build) f.build = build;
  const severity = get('severity');
  if (severity && (strict || /^[1-4]$/.test(severity))) {
    if (!/^[1-4]$/.test(severity)) throw new FilterError('severity: must be 1, 2, 3 or 4');
    f.severity = Number(severity);
  }
  const machine = get('machine_id');
  if (machine) f.machine_id = machine;
  const payload = get('payload');
  if (payload) f.payload = strict ? checkRegex('payload', payload) : payload;
  const notPayload = get('not_payload');
  if (notPayload) f.not_payload = strict ? checkRegex('not_payload', notPayload) : notPayload;
  const source = get('data_source');
  if (source && (strict || source === 'external' || source === 'internal')) {
    if (source !== 'external' && source !== 'internal')
      throw new FilterError('data_source: external or internal');
    f.data_source = source;
  }
  return f;
}

export function filterQuery(f: RecordFilter): URLSearchParams {
  const q = new URLSearchParams();
  for (const k of FILTER_KEYS) {
    const v = f[k];
    if (v !== undefined) q.set(k, String(v));
  }
  return q;
}

/** `*` matches any text; everything else is literal (GLOB on SQLite keeps the index usable). */
export function classPattern(dialect: Dialect, pattern: string): { op: string; value: string } {
  if (dialect === 'sqlite') return { op: 'GLOB', value: pattern.replace(/[?[]/g, (c) => `[${c}]`) };
  return { op: "LIKE ? ESCAPE '\\'", value: pattern.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%') };
}

/** The same `*` wildcard, in JS: which of the known classes a pattern names. */
export function classMatcher(pattern: string): (c: string) => boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );
  return (c) => re.test(c);
}

export function regexOp(dialect: Dialect): string {
  return dialect === 'sqlite' ? 'REGEXP' : '~';
}

export function filterWhere(dialect: Dialect, f: RecordFilter, w = new Where()): Where {
  if (f.classification !== undefined) {
    if (f.classification.includes('*')) {
      const { op, value } = classPattern(dialect, f.classification);
      w.add(op.includes('?') ? `classification ${op}` : `classification ${op} ?`, value);
    } else {
      w.add('classification = ?', f.classification);
    }
  }
  if (f.build !== undefined) w.add('build = ?', f.build);
  if (f.severity !== undefined) w.add('severity = ?', f.severity);
  if (f.machine_id !== undefined) w.add('machine_id = ?', f.machine_id);
  if (f.payload !== undefined) w.add(`payload ${regexOp(dialect)} ?`, f.payload);
  if (f.not_payload !== undefined) w.add(`NOT (payload ${regexOp(dialect)} ?)`, f.not_payload);
  if (f.data_source === 'external') w.add('external = ?', true);
  if (f.data_source === 'internal') w.add('(external = ? OR external IS NULL)', false);
  return w;
}

/** Upstream's choices: every class plus its `a/*` and `a/b/*` wildcards. */
export function classChoices(classes: readonly string[]): string[] {
  const out = new Set<string>();
  for (const c of classes) {
    const parts = c.split('/');
    if (parts.length >= 2) out.add(`${parts[0]}/*`);
    if (parts.length >= 3) out.add(`${parts[0]}/${parts[1]}/*`);
    out.add(c);
  }
  return [...out].sort();
}
