// Durable record storage with group commit: inserts that arrive while a commit is running wait
// and share the next one, so N concurrent requests cost one fsync (SQLite) or one COMMIT round
// trip (PostgreSQL) instead of N. Every insert's promise settles only after its COMMIT returned;
// the HTTP layer answers 201 after that, so an acknowledged record survives kill -9.
import type { FuncMod } from '../crash/guilty.ts';
import { guiltyIdFor, loadBlacklist } from '../crash/process.ts';
import type { PostgresDb } from '../db/postgres.ts';
import type { SqliteDb } from '../db/sqlite.ts';
import type { Db } from '../db/types.ts';
import { guiltyOf, INSERT_RECORD_SQL, insertParams, isBacktraceRecord, multiRowInsertSql } from './insert.ts';
import type { ValidatedRecord } from './validate.ts';

export interface Stored {
  readonly id: number;
  readonly timestampServer: number;
}

interface Pending {
  readonly record: ValidatedRecord;
  readonly timestampServer: number;
  readonly resolve: (stored: Stored) => void;
  readonly reject: (err: unknown) => void;
}

/** At most this many records share one transaction (bounds a commit's latency). */
const MAX_GROUP = 1000;

export class RecordStore {
  readonly #db: Db;
  readonly #maxInFlight: number;
  #queue: Pending[] = [];
  #inFlight = 0;
  #scheduled = false;
  #idleWaiters: (() => void)[] = [];

  constructor(db: Db) {
    this.#db = db;
    // SQLite has one writer; PostgreSQL commits several groups at once over its pool.
    this.#maxInFlight = db.dialect === 'sqlite' ? 1 : 4;
  }

  /** Resolves once the record is committed. */
  insert(record: ValidatedRecord, timestampServer: number): Promise<Stored> {
    return new Promise<Stored>((resolve, reject) => {
      this.#queue.push({ record, timestampServer, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves once nothing is queued or committing (for shutdown). */
  drained(): Promise<void> {
    if (this.#queue.length === 0 && this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#maxInFlight || this.#queue.length === 0) return;
    this.#scheduled = true;
    // setImmediate: the requests whose bodies arrived in this turn of the loop join the group.
    setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      const group = this.#queue.splice(0, MAX_GROUP);
      this.#inFlight++;
      this.#commit(group)
        .catch(() => {})
        .finally(() => {
          this.#inFlight--;
          if (this.#queue.length > 0) this.#schedule();
          else if (this.#inFlight === 0) for (const w of this.#idleWaiters.splice(0)) w();
        });
    }
  }

  async #commit(group: Pending[]): Promise<void> {
    try {
      const ids = await this.#insertGroup(group.map((p) => [p.record, p.timestampServer] as const));
      for (const [i, p] of group.entries()) p.resolve({ id: ids[i]!, timestampServer: p.timestampServer });
    } catch (err) {
      if (group.length === 1) {
        group[0]!.reject(err);
        return;
      }
      // One bad record must not sink its neighbours: retry each in its own transaction.
      for (const p of group) {
        try {
          const [id] = await this.#insertGroup([[p.record, p.timestampServer]]);
          p.resolve({ id: id!, timestampServer: p.timestampServer });
        } catch (e) {
          p.reject(e);
        }
      }
    }
  }

  #insertGroup(items: readonly (readonly [ValidatedRecord, number])[]): Promise<number[]> {
    return this.#db.dialect === 'sqlite'
      ? this.#insertSqlite(this.#db as SqliteDb, items)
      : this.#insertPostgres(this.#db as PostgresDb, items);
  }

  async #insertSqlite(
    db: SqliteDb,
    items: readonly (readonly [ValidatedRecord, number])[],
  ): Promise<number[]> {
    await db.idle();
    return db.transactionSync(() => {
      const blacklist = items.some(([r]) => isBacktraceRecord(r))
        ? db.querySync<FuncMod>('SELECT function, module FROM guilty_blacklisted')
        : [];
      return items.map(([record, ts]) => {
        const guilty = guiltyOf(record, blacklist);
        let guiltyId: number | null = null;
        if (guilty !== null) {
          db.runSync(
            'INSERT INTO guilty (function, module, hide) VALUES ($1, $2, $3) ON CONFLICT (function, module) DO NOTHING',
            [guilty.function, guilty.module, false],
          );
          const [row] = db.querySync<{ id: number }>(
            'SELECT id FROM guilty WHERE function = $1 AND module = $2',
            [guilty.function, guilty.module],
          );
          guiltyId = row === undefined ? null : Number(row.id);
        }
        return db.runSync(INSERT_RECORD_SQL, insertParams(record, ts, guiltyId)).lastRowid;
      });
    });
  }

  async #insertPostgres(
    db: PostgresDb,
    items: readonly (readonly [ValidatedRecord, number])[],
  ): Promise<number[]> {
    return db.transaction(async (tx) => {
      const blacklist = items.some(([r]) => isBacktraceRecord(r)) ? await loadBlacklist(tx) : [];
      const params: unknown[] = [];
      for (const [record, ts] of items) {
        const guilty = guiltyOf(record, blacklist);
        const guiltyId = guilty === null ? null : await guiltyIdFor(tx, guilty);
        params.push(...insertParams(record, ts, guiltyId));
      }
      // One round trip for the group. The rows take their serial ids in VALUES order, so the
      // returned ids sorted ascending line up with the items.
      const rows = await tx.query<{ id: number }>(`${multiRowInsertSql(items.length)} RETURNING id`, params);
      return rows.map((r) => Number(r.id)).sort((x, y) => x - y);
    });
  }
}
