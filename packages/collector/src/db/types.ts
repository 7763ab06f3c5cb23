// The database seam shared by the collector and the web views (notes/COLLECTOR-CONTRACT.md).
// One interface for both dialects; SQL uses $1..$n placeholders everywhere.

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  readonly dialect: Dialect;
  /** Rows of a SELECT. Placeholders are $1..$n in both dialects (the SQLite adapter maps
   *  them to ?NNN). JS booleans bind as 1/0 on SQLite; read booleans with Boolean(v). */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** INSERT/UPDATE/DELETE; affected row count. */
  run(sql: string, params?: readonly unknown[]): Promise<{ changes: number }>;
  /** fn runs inside one transaction (BEGIN/COMMIT, ROLLBACK on throw). */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Opens (and migrates) `sqlite:PATH` or `postgres://...` (implemented in open.ts). */
export { openDb } from './open.ts';
