// The Db interface on PostgreSQL through `pg` (pure JavaScript client, no native build).
// NUMERIC (the upstream timestamps) and BIGINT (count(*), our BIGSERIAL ids) come back as JS
// numbers, as on SQLite: seconds and counts fit a double.
import pg from 'pg';
import { migrations } from './schema.ts';
import type { Db } from './types.ts';

const NUMERIC_OID = 1700;
const INT8_OID = 20;
/** Any constant: the advisory lock that keeps two collectors from migrating at once. */
const MIGRATION_LOCK = 0x7e1e3e7;

const parseNumber = (value: string): number => Number(value);

function typeParser(oid: number, format?: string): (value: string) => unknown {
  if (oid === NUMERIC_OID || oid === INT8_OID) return parseNumber;
  return format === undefined ? pg.types.getTypeParser(oid) : pg.types.getTypeParser(oid, format as 'text');
}

function clientDb(client: pg.PoolClient): Db {
  const db: Db = {
    dialect: 'postgres',
    query: async <T>(sql: string, params?: readonly unknown[]) =>
      (await client.query(sql, params as unknown[] | undefined)).rows as T[],
    run: async (sql, params) => ({
      changes: (await client.query(sql, params as unknown[] | undefined)).rowCount ?? 0,
    }),
    transaction: (fn) => fn(db),
    close: async () => {},
  };
  return db;
}

export class PostgresDb implements Db {
  readonly dialect = 'postgres' as const;
  readonly #pool: pg.Pool;
  #closed = false;

  constructor(url: string, poolSize = 8) {
    this.#pool = new pg.Pool({
      connectionString: url,
      max: poolSize,
      // A database that does not answer fails the request (503, retried) instead of queueing it.
      connectionTimeoutMillis: 10_000,
      types: { getTypeParser: typeParser as never },
    });
    // An idle client's error (the server went away) must not crash the collector; the next
    // query reports it to its caller.
    this.#pool.on('error', () => {});
  }

  async migrate(): Promise<void> {
    await this.withClient(async (client) => {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      try {
        for (const sql of migrations('postgres')) await client.query(sql);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
      }
    });
  }

  async withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  }

  async query<T = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.#pool.query(sql, params as unknown[])).rows as T[];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<{ changes: number }> {
    return { changes: (await this.#pool.query(sql, params as unknown[])).rowCount ?? 0 };
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        const value = await fn(clientDb(client));
        await client.query('COMMIT');
        return value;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}
