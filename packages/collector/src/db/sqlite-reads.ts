// Reads on SQLite off the collector's thread. node:sqlite is synchronous: a whole-table query of
// the web views (hundreds of milliseconds on a million records) run on the collector's thread
// would hold every ingestion answer that long. The web views and /api/records read through
// worker threads instead, each with its own read-only connection to the same file: in WAL mode
// readers never wait for the writer nor it for them, and each statement reads the last
// committed state (what a 201 acknowledged is visible to the next read).
// Writes (and transactions, with their reads) stay on the collector's connection.
import { Worker } from 'node:worker_threads';
import { toSqlitePlaceholders, toSqliteValue } from './placeholders.ts';
import { registerRegexp } from './regexp.ts';
import type { Db } from './types.ts';

/** Two threads: a slow aggregate on one leaves the other to the list pages. */
export const READ_THREADS = 2;

// The thread's program (eval'd, CommonJS): the collector ships as one bundled file, so the
// thread cannot load a module of its own.
const THREAD_SOURCE = `const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const registerRegexp = (${registerRegexp.toString()});
const db = new DatabaseSync(workerData.path, { readOnly: true });
db.exec('PRAGMA busy_timeout = 5000');
registerRegexp(db, 64);
const statements = new Map();
parentPort.on('message', ({ id, sql, params }) => {
  try {
    let st = statements.get(sql);
    if (st === undefined) {
      st = db.prepare(sql);
      if (statements.size >= 256) statements.clear();
      statements.set(sql, st);
    }
    parentPort.postMessage({ id, rows: st.all(...params) });
  } catch (err) {
    parentPort.postMessage({ id, error: { message: String(err && err.message), code: err && err.code } });
  }
});`;

interface Pending {
  resolve(rows: unknown[]): void;
  reject(err: Error): void;
}

interface Reply {
  id: number;
  rows?: unknown[];
  error?: { message: string; code?: string };
}

class ReadThread {
  readonly pending = new Map<number, Pending>();
  readonly #worker: Worker;

  constructor(path: string, onGone: (t: ReadThread) => void) {
    this.#worker = new Worker(THREAD_SOURCE, {
      eval: true,
      name: 'collector-sqlite-reads',
      workerData: { path },
    });
    this.#worker.unref(); // referenced only while a query waits (see send)
    this.#worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      if (p === undefined) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.#worker.unref();
      if (reply.error) p.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
      else p.resolve(reply.rows ?? []);
    });
    // An 'error' (the file cannot be opened, the thread ran out of memory) is followed by 'exit'.
    this.#worker.on('error', () => {});
    this.#worker.on('exit', () => {
      onGone(this);
      this.fail(new Error('SQLite read thread stopped'));
    });
  }

  send(id: number, sql: string, params: unknown[], p: Pending): void {
    if (this.pending.size === 0) this.#worker.ref();
    this.pending.set(id, p);
    this.#worker.postMessage({ id, sql, params });
  }

  fail(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Ends the thread; a statement still running in it (SQLite cannot be interrupted from
   *  node:sqlite) ends it when it finishes, without holding the collector's exit. */
  stop(): void {
    this.fail(new Error('database closed'));
    this.#worker.unref();
    void this.#worker.terminate();
  }
}

/** SELECTs on read-only connections in worker threads (started by warm() or the first query). */
export class SqliteReadPool {
  readonly #path: string;
  readonly #size: number;
  #threads: ReadThread[] = [];
  #nextId = 1;
  #closed = false;

  constructor(path: string, size = READ_THREADS) {
    this.#path = path;
    this.#size = size;
  }

  #start(): ReadThread {
    const t = new ReadThread(this.#path, (gone) => {
      this.#threads = this.#threads.filter((x) => x !== gone);
    });
    this.#threads.push(t);
    return t;
  }

  /** Starts the threads now, so that the first page does not wait for one to start
   *  (tens of milliseconds); a thread that stopped is replaced at the next query. */
  warm(): void {
    while (!this.#closed && this.#threads.length < this.#size) this.#start();
  }

  /** The least busy thread; a new one while there are fewer than `size`. */
  #pick(): ReadThread {
    const idle = this.#threads.find((t) => t.pending.size === 0);
    if (idle !== undefined) return idle;
    if (this.#threads.length < this.#size) return this.#start();
    return this.#threads.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }

  query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    if (this.#closed) return Promise.reject(new Error('database closed'));
    const values = params.map(toSqliteValue); // a value SQLite cannot bind fails here, in the caller
    return new Promise<T[]>((resolve, reject) => {
      this.#pick().send(this.#nextId++, toSqlitePlaceholders(sql), values, {
        resolve: resolve as (rows: unknown[]) => void,
        reject,
      });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const threads = this.#threads;
    this.#threads = [];
    for (const t of threads) t.stop();
  }
}

/** A Db whose SELECTs go to `pool` and whose writes and transactions go to `writer`. */
export function splitDb(writer: Db, pool: SqliteReadPool): Db {
  return {
    dialect: writer.dialect,
    query: (sql, params) => pool.query(sql, params),
    run: (sql, params) => writer.run(sql, params),
    transaction: (fn) => writer.transaction(fn),
    close: () => writer.close(),
  };
}
