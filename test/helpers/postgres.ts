// A private PostgreSQL cluster for tests, from Debian's postgresql package: initdb into a temp
// dir, a free loopback port, trust auth on 127.0.0.1 only, removed on dispose. PostgreSQL
// refuses to run as root, so as root the cluster belongs to the `postgres` system user (the
// package creates it) and its commands run through runuser.
//
//   await using pg = await startPostgres();        // one per test file
//   const url = await pg.createDatabase();          // postgres://postgres@127.0.0.1:PORT/db_N
//
// Without the package: `postgresAvailable()` is false; in CI (CI=true) tests must fail instead
// of skipping (COMMON rules), which `requirePostgres(t)` does.
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { lacks } from './need.ts';

const run = promisify(execFile);

function binDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : path.join(root, versions[0], 'bin');
}

export function postgresAvailable(): boolean {
  return binDir() !== null;
}

/** Skips the test without PostgreSQL, except in CI where a missing tool is a failure. */
export function requirePostgres(t: TestContext): boolean {
  return !lacks(t, !postgresAvailable() && "Debian's postgresql package is not installed");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface PostgresCluster extends AsyncDisposable {
  readonly port: number;
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  readonly adminUrl: string;
  /** A fresh empty database; its URL. */
  createDatabase(): Promise<string>;
  close(): Promise<void>;
}

/** `fsync: true` for benchmarks (durable commits); tests run without it. */
export async function startPostgres(opts: { fsync?: boolean } = {}): Promise<PostgresCluster> {
  const bin = binDir();
  if (bin === null) throw new Error("PostgreSQL (Debian's postgresql package) is not installed");
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(path.join(tmpdir(), 'collector-pg-'));
  chmodSync(dir, 0o755);
  const data = path.join(dir, 'data');
  const cmd = (tool: string, args: string[]): Promise<unknown> =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args], { cwd: dir })
      : run(path.join(bin, tool), args, { cwd: dir });
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout), Number(gid));
  }
  await cmd('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
  const port = await freePort();
  // fsync off: the cluster lives for one test file; what the tests check is the collector's
  // commit-before-answer, which a killed collector (not a killed PostgreSQL) exercises.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=${opts.fsync ? 'on' : 'off'} -c max_connections=40`;
  await cmd('pg_ctl', ['-D', data, '-o', options, '-w', '-t', '60', '-l', path.join(dir, 'log'), 'start']);
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let n = 0;
  let closed = false;
  const cluster: PostgresCluster = {
    port,
    adminUrl,
    async createDatabase() {
      const name = `db_${++n}`;
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await cmd('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    [Symbol.asyncDispose]() {
      return cluster.close();
    },
  };
  return cluster;
}
