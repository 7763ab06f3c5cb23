// Display rules shared by the views: pure, so the tests pin them.

const SEVERITY: Record<number, string> = { 1: 'low', 2: 'med', 3: 'high', 4: 'crit' };

export function severityLabel(severity: unknown): string {
  const n = Number(severity);
  return SEVERITY[n] ?? String(severity ?? '');
}

/** Upstream shows classifications without the `org.clearlinux/` prefix. */
export function shortClass(classification: string): string {
  return classification.startsWith('org.clearlinux/')
    ? classification.slice('org.clearlinux/'.length)
    : classification;
}

const UNITS: [string, number][] = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['week', 7 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** Age in its largest unit, as upstream's records table: `3 minutes`. */
export function age(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  for (const [unit, size] of UNITS) {
    const n = Math.floor(s / size);
    if (n >= 1) return `${n} ${unit}${n === 1 ? '' : 's'}`;
  }
  return '0 seconds';
}

export function utcTime(seconds: unknown): string {
  const n = Number(seconds);
  if (!Number.isFinite(n)) return '';
  const d = new Date(n * 1000);
  return Number.isNaN(d.getTime())
    ? String(seconds)
    : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Code-unit order: the same on every database and locale (SQL ORDER BY on text is not). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isDigits(s: string): boolean {
  return /^[0-9]+$/.test(s);
}

/** Builds made of digits compare as numbers (upstream casts to integer). */
export function compareBuilds(a: string, b: string): number {
  if (isDigits(a) && isDigits(b)) return Number(a) - Number(b) || compareText(a, b);
  return compareText(a, b);
}
