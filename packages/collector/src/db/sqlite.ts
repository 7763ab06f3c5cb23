// The Db interface on node:sqlite: one connection, WAL, synchronous=FULL by default (a COMMIT has
// reached the disk before it returns, so an answer written after it survives kill -9 and power
// loss; `?synchronous=normal` in the URL keeps kill -9 safety only, see url.ts).
// node:sqlite is synchronous; transactions that await between statements are serialised with a
// queue so another request's statement never lands inside (or is rolled back with) them.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { toSqlitePlaceholders, toSqliteValue } from './placeholders.ts';
import { registerRegexp } from './regexp.ts';
import { migrations } from './schema.ts';
import { SqliteReadPool, splitDb } from './sqlite-reads.ts';
import type { Db } from './types.ts';
import type { SqliteSynchronous } from './url.ts';

const STATEMENT_CACHE_MAX = 256;
const REGEXP_CACHE_MAX = 64;

export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  /** Resolves when the running transaction (if any) ends; others wait on it. */
  #txTail: Promise<void> = Promise.resolve();
  #inTx = false;
  #closed = false;
  readonly #path: string;
  #reads: { pool: SqliteReadPool; db: Db } | undefined;

  constructor(path: string, synchronous: SqliteSynchronous = 'full') {
    this.#path = path;
    this.#db = new DatabaseSync(path);
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec(`PRAGMA synchronous = ${synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.#db.exec('PRAGMA busy_timeout = 5000');
    this.#db.exec('PRAGMA foreign_keys = ON');
    registerRegexp(this.#db, REGEXP_CACHE_MAX);
  }

  migrate(): void {
    for (const sql of migrations('sqlite')) this.#db.exec(sql);
  }

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(toSqlitePlaceholders(sql));
      if (this.#statements.size >= STATEMENT_CACHE_MAX) this.#statements.clear();
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Synchronous SELECT, for callers that already hold the connection (group commit). */
  querySync<T>(sql: string, params: readonly unknown[] = []): T[] {
    return this.#prepare(sql).all(...params.map(toSqliteValue)) as T[];
  }

  /** Synchronous INSERT/UPDATE/DELETE; lastRowid for inserts. */
  runSync(sql: string, params: readonly unknown[] = []): { changes: number; lastRowid: number } {
    const r = this.#prepare(sql).run(...params.map(toSqliteValue));
    return { changes: Number(r.changes), lastRowid: Number(r.lastInsertRowid) };
  }

  /** Runs fn between BEGIN and COMMIT without yielding: the group commit's fast path. */
  transactionSync<T>(fn: () => T): T {
    if (this.#inTx) throw new Error('transactionSync inside an open transaction');
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const value = fn();
      this.#db.exec('COMMIT');
      return value;
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  /** True while an async transaction holds the connection (sync callers must wait). */
  get busy(): boolean {
    return this.#inTx;
  }

  /** Resolves once no async transaction holds the connection. */
  async idle(): Promise<void> {
    while (this.#inTx) await this.#txTail;
  }

  async query<T = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    await this.idle();
    return this.querySync<T>(sql, params);
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<{ changes: number }> {
    await this.idle();
    return { changes: this.runSync(sql, params).changes };
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    await this.idle();
    let release = (): void => {};
    this.#txTail = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#inTx = true;
    const tx: Db = {
      dialect: 'sqlite',
      query: async <R>(sql: string, params?: readonly unknown[]) => this.querySync<R>(sql, params),
      run: async (sql, params) => ({ changes: this.runSync(sql, params).changes }),
      transaction: (inner) => inner(tx),
      close: async () => {},
    };
    try {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const value = await fn(tx);
        this.#db.exec('COMMIT');
        return value;
      } catch (err) {
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      this.#inTx = false;
      release();
    }
  }

  /** This database with its SELECTs run off the collector's thread (sqlite-reads.ts), for the
   *  web views and /api/records; an in-memory database (one connection only) stays as it is. */
  reads(): Db {
    if (this.#path === ':memory:' || this.#path === '' || this.#path.startsWith('file::memory:')) return this;
    if (this.#reads === undefined) {
      const pool = new SqliteReadPool(this.#path);
      pool.warm();
      this.#reads = { pool, db: splitDb(this, pool) };
    }
    return this.#reads.db;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#reads?.pool.close();
    await this.idle();
    this.#closed = true;
    this.#statements.clear();
    this.#db.close();
  }
}
