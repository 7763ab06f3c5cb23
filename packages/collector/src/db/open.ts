// openDb(url): the one door to a database; it also brings the schema up to date (idempotent).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PostgresDb } from './postgres.ts';
import { SqliteDb } from './sqlite.ts';
import type { Db } from './types.ts';
import { parseDbUrl } from './url.ts';

export type { Db, Dialect } from './types.ts';
export { PostgresDb } from './postgres.ts';
export { SqliteDb } from './sqlite.ts';

export async function openDb(url: string): Promise<Db> {
  const location = parseDbUrl(url);
  if (location.dialect === 'postgres') {
    const db = new PostgresDb(location.url);
    try {
      await db.migrate();
    } catch (err) {
      await db.close();
      throw err;
    }
    return db;
  }
  if (location.path !== ':memory:') mkdirSync(path.dirname(path.resolve(location.path)), { recursive: true });
  const db = new SqliteDb(location.path, location.synchronous);
  try {
    db.migrate();
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}

/** The Db the read-mostly routes (web views, /api/records) use: on SQLite their SELECTs run in
 *  worker threads on read-only connections, so a slow one never delays an ingestion answer;
 *  PostgreSQL already runs queries on its own server processes. */
export function readsOf(db: Db): Db {
  return db instanceof SqliteDb ? db.reads() : db;
}
