// The collector as the telemetrics-collector command assembles it (openDb, CollectorApp,
// CollectorListener), in the test process, for suites that replay raw bytes at it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMemoryLogger } from '@telemetrics/libtelemetry/log';
import { openDb } from '../../packages/collector/src/db/open.ts';
import type { Db } from '../../packages/collector/src/db/types.ts';
import { CollectorApp } from '../../packages/collector/src/http/app.ts';
import { CollectorListener } from '../../packages/collector/src/http/server.ts';

export interface InProcessCollector extends AsyncDisposable {
  readonly port: number;
  readonly db: Db;
  readonly app: CollectorApp;
  /** Rows in `records`. */
  count(): Promise<number>;
  close(): Promise<void>;
}

/** dbUrl: a postgres:// URL, or undefined for a fresh SQLite file. */
export async function startInProcess(
  dbUrl?: string,
  opts: { accessToken?: string; maxBufferedBytes?: number } = {},
): Promise<InProcessCollector> {
  const tmp = dbUrl === undefined ? mkdtempSync(path.join(tmpdir(), 'collector-')) : undefined;
  const db = await openDb(dbUrl ?? `sqlite:${path.join(tmp!, 'c.db')}`);
  const app = new CollectorApp({ db, log: createMemoryLogger(), ...opts });
  const listener = new CollectorListener((req, res) => app.handle(req, res));
  const { port } = await listener.listen(0, '127.0.0.1');
  let closed = false;
  const c: InProcessCollector = {
    port,
    db,
    app,
    async count() {
      const [row] = await db.query<{ n: number }>('SELECT count(*) AS n FROM records');
      return Number(row?.n ?? 0);
    },
    async close() {
      if (closed) return;
      closed = true;
      await listener.drain(1000);
      await app.store.drained();
      await db.close();
      if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
    },
    [Symbol.asyncDispose]() {
      return c.close();
    },
  };
  return c;
}
