// $1..$n (the contract's placeholder syntax, PostgreSQL's own) to SQLite's numbered ?NNN. [pure]
// A `$<digits>` inside a string literal would be rewritten too: queries pass values as
// parameters, never as literals that look like placeholders.
export function toSqlitePlaceholders(sql: string): string {
  return sql.replace(/\$(\d+)/g, '?$1');
}

/** node:sqlite binds null, numbers, bigints, strings and bytes; booleans become 1/0. */
export function toSqliteValue(value: unknown): null | number | bigint | string | Uint8Array {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string') return value;
  if (value instanceof Uint8Array) return value;
  if (value instanceof Date) return value.getTime() / 1000;
  throw new TypeError(`cannot bind a ${typeof value} to SQLite`);
}
