// A generated records database for the web-views bench: N records spread like a
// fleet's (heartbeats, hellos, crashes with guilties, MCE, thermal, updates) over
// 60 days before a fixed `now`, written through the collector's Db layer in
// batched transactions. The 1M-record file is cached outside the repository
// (~/.cache/telemetrics-bench) and reused while the generator version matches.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDb } from '../../packages/collector/src/db/open.ts';
import type { Db } from '../../packages/collector/src/db/types.ts';
import { mulberry32 } from '../../test/helpers/prng.ts';

const GENERATOR_VERSION = 2;
/** Records generated one by one; the rest are copies of them (see grow). */
const SEED_SHARE = 16;
/** A fixed "now" so cached databases keep their time windows. */
export const WEB_DB_NOW_S = 1_780_000_000;
const DAY = 86400;

const CLASSES: [string, number, number][] = [
  // classification, weight, severity
  ['org.clearlinux/heartbeat/ping', 40, 1],
  ['org.clearlinux/hello/world', 15, 1],
  ['org.clearlinux/crash/clr', 10, 3],
  ['org.clearlinux/crash/unknown', 2, 2],
  ['org.clearlinux/kernel/warning', 4, 2],
  ['org.clearlinux/kernel/bug', 1, 3],
  ['org.clearlinux/mce/corrected', 3, 2],
  ['org.clearlinux/mce/UCNA', 1, 3],
  ['org.clearlinux/mce/thermal', 3, 2],
  ['org.clearlinux/swupd-client/update', 6, 1],
  ['org.clearlinux/swupd-client/check', 5, 1],
  ['org.clearlinux/bert/error', 1, 4],
  ['com.example/app/event', 9, 1],
];
const BUILDS = Array.from({ length: 30 }, (_, i) => String(41000 + i * 10));
const HOSTS = [
  'Intel Corporation|NUC7i5BNH|J57828-502',
  'QEMU|Standard PC|pc-q35',
  'Dell Inc.|XPS 13|1.0',
  'LENOVO|ThinkPad|A',
];
const FUNCS = Array.from({ length: 150 }, (_, i) => `fn_${i.toString(36)}()`);
const MODULES = ['/usr/bin/app', '/usr/bin/daemon', 'libc.so.6', 'libglib-2.0.so.0', '/usr/lib/libfoo.so.1'];

function crashPayload(fn: string, mod: string, pid: number): string {
  return (
    `Process: ${mod.startsWith('/') ? mod : '/usr/bin/app'}\nPID: ${pid}\nSignal: 11\n\nBacktrace (TID ${pid}):\n` +
    `#0 ${fn} - [${mod}] - /usr/src/app/${fn.slice(0, -2)}.c:44\n#1 process_list() - [/usr/bin/app] - /usr/src/app/list.c:80\n` +
    `#2 main() - [/usr/bin/app] - /usr/src/app/main.c:66\n#3 __libc_start_call_main() - [libc.so.6]\n#4 _start() - [/usr/bin/app]\n`
  );
}

function payloadFor(cls: string, r: () => number, build: string): { payload: string; guilty?: number } {
  if (cls === 'org.clearlinux/crash/clr' || cls.startsWith('org.clearlinux/kernel/')) {
    // a few guilties take most crashes, as in a real fleet
    const g = Math.floor(FUNCS.length * r() ** 3);
    return {
      payload: crashPayload(FUNCS[g]!, MODULES[g % MODULES.length]!, 1000 + Math.floor(r() * 30000)),
      guilty: g + 1,
    };
  }
  if (cls.startsWith('org.clearlinux/mce/')) {
    const status = Math.floor(r() * 4)
      .toString(16)
      .padStart(8, '0');
    return { payload: `CPU 0 BANK 5\nSTATUS 9c000000${status} MCGSTATUS 0\nADDR 1234\n` };
  }
  if (cls === 'org.clearlinux/swupd-client/update') {
    const to = Number(build) + 10;
    return {
      payload: `Filename: src/log.c\nLine: 615\ncurrent_version=${build}\nserver_version=${to}\nruntime: 39.6\n`,
    };
  }
  return { payload: `hello from ${cls} ${Math.floor(r() * 1e9).toString(36)}\n` };
}

const COLUMNS = [
  'architecture',
  'bios_version',
  'board_name',
  'build',
  'classification',
  'cpu_model',
  'event_id',
  'external',
  'host_type',
  'kernel_version',
  'machine_id',
  'payload_version',
  'record_version',
  'severity',
  'system_name',
  'timestamp_client',
  'timestamp_server',
  'payload',
  'processed',
  'guilty_id',
];

async function fill(db: Db, count: number): Promise<void> {
  await fillSeed(db, Math.ceil(count / SEED_SHARE));
  await grow(db, count);
}

/**
 * Doubles the records inside the database until there are `count`: each copy gets another
 * machine id and times moved back by up to two hours, so the copies spread like new machines.
 * One INSERT ... SELECT per doubling instead of a million bound rows: seconds, not minutes.
 */
async function grow(db: Db, count: number): Promise<void> {
  const cols = COLUMNS.join(', ');
  for (let round = 1; ; round++) {
    const [row] = await db.query<{ n: unknown; top: unknown }>(
      'SELECT COUNT(*) AS n, MAX(id) AS top FROM records',
    );
    const have = Number(row?.n);
    if (have >= count) return;
    const copied = COLUMNS.map((c) =>
      c === 'machine_id'
        ? `machine_id || '-${round}'`
        : c.startsWith('timestamp_')
          ? `${c} - (id % 7200)`
          : c,
    ).join(', ');
    await db.transaction((tx) =>
      tx.run(
        `INSERT INTO records (${cols}) SELECT ${copied} FROM records WHERE id <= $1 ORDER BY id LIMIT $2`,
        [Number(row?.top), Math.min(have, count - have)],
      ),
    );
  }
}

async function fillSeed(db: Db, count: number): Promise<void> {
  const r = mulberry32(42);
  const weights = CLASSES.reduce((s, c) => s + c[1], 0);
  const pickClass = () => {
    let x = r() * weights;
    for (const c of CLASSES) {
      x -= c[1];
      if (x < 0) return c;
    }
    return CLASSES[0]!;
  };
  await db.transaction(async (tx) => {
    for (let g = 0; g < FUNCS.length; g++) {
      await tx.run('INSERT INTO guilty (id, function, module, comment, hide) VALUES ($1, $2, $3, $4, $5)', [
        g + 1,
        FUNCS[g],
        MODULES[g % MODULES.length],
        null,
        false,
      ]);
    }
  });
  const BATCH = 500;
  const PER_TX = 20;
  const rowSql = (n: number) =>
    Array.from(
      { length: n },
      (_, i) => `(${COLUMNS.map((_, j) => `$${i * COLUMNS.length + j + 1}`).join(', ')})`,
    ).join(', ');
  const fullSql = `INSERT INTO records (${COLUMNS.join(', ')}) VALUES ${rowSql(BATCH)}`;
  for (let done = 0; done < count; ) {
    await db.transaction(async (tx) => {
      for (let b = 0; b < PER_TX && done < count; b++) {
        const n = Math.min(BATCH, count - done);
        const params: unknown[] = [];
        for (let i = 0; i < n; i++) {
          const [cls, , severity] = pickClass();
          // newer records are denser, as a growing fleet's
          const t = WEB_DB_NOW_S - 60 * DAY * r() ** 1.5;
          const build =
            BUILDS[
              Math.min(
                BUILDS.length - 1,
                Math.floor(BUILDS.length * (1 - (WEB_DB_NOW_S - t) / (60 * DAY)) + r() * 2),
              )
            ]!;
          const { payload, guilty } = payloadFor(cls, r, build);
          params.push(
            'x86_64',
            'N/A',
            HOSTS[Math.floor(r() * HOSTS.length)]!.split('|')[1],
            build,
            cls,
            'Intel(R) Core(TM)',
            Math.floor(r() * 2 ** 48)
              .toString(16)
              .padStart(32, '0'),
            r() < 0.3,
            HOSTS[Math.floor(r() * HOSTS.length)],
            '6.1.0',
            `m${Math.floor(r() * 5000)
              .toString(16)
              .padStart(31, '0')}`,
            1,
            4,
            severity,
            r() < 0.9 ? 'clear-linux-os' : 'debian',
            Math.floor(t),
            t + r() * 30,
            payload,
            guilty !== undefined,
            guilty ?? null,
          );
        }
        await tx.run(
          n === BATCH ? fullSql : `INSERT INTO records (${COLUMNS.join(', ')}) VALUES ${rowSql(n)}`,
          params,
        );
        done += n;
      }
    });
  }
}

/** `sqlite:PATH` of a database with `count` records, generated once and cached. */
export async function webBenchDb(count: number, cacheDir?: string): Promise<string> {
  const dir =
    cacheDir ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'telemetrics-bench');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `web-${count}.sqlite`);
  const stamp = `${file}.version`;
  if (existsSync(file) && existsSync(stamp) && readFileSync(stamp, 'utf8') === String(GENERATOR_VERSION)) {
    return `sqlite:${file}`;
  }
  const tmp = `${file}.tmp`;
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`, stamp]) rmSync(f, { force: true });
  const db = await openDb(`sqlite:${tmp}`);
  try {
    // Filling without the collector's indexes and letting openDb build them afterwards is
    // several times faster than updating them row by row.
    const indexes = await db.query<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records' AND sql IS NOT NULL",
    );
    for (const { name } of indexes) await db.run(`DROP INDEX "${name}"`);
    await fill(db, count);
  } finally {
    await db.close();
  }
  await (await openDb(`sqlite:${tmp}`)).close(); // the collector's migration recreates the indexes
  for (const f of [`${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  renameSync(tmp, file);
  writeFileSync(stamp, String(GENERATOR_VERSION));
  return `sqlite:${file}`;
}
