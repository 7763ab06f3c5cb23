// The web views' unit tests: a real SQLite database in a temp dir and the handler served on
// loopback. Test-only (*.fixtures.ts is not built).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { openDb } from '../db/open.ts';
import type { Db } from '../db/types.ts';
import { createWebHandler, type WebHandler } from './index.ts';

export interface TempDb {
  readonly db: Db;
  close(): Promise<void>;
}

/** A fresh database in its own temp dir; close() closes it and removes the dir. */
export async function openTempDb(): Promise<TempDb> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'telem-'));
  const db = await openDb(`sqlite:${path.join(dir, 'c.db')}`);
  return {
    db,
    async close() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ServedViews {
  readonly handler: WebHandler;
  /** http://127.0.0.1:PORT/telemetryui */
  readonly base: string;
  close(): Promise<void>;
}

/** createWebHandler over `db`, listening on a free loopback port. */
export async function serveWebViews(db: Db, csrfSecret: Buffer = randomBytes(32)): Promise<ServedViews> {
  const handler = createWebHandler({ db, csrfSecret });
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    handler,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/telemetryui`,
    // Keep-alive connections of the test's fetch would hold close() open: cut them.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
