#!/usr/bin/env node
// telemetrics-collector: the server half. Reads its settings (defaults, --config FILE, then the
// command line), opens the database (migrating it), listens, and on SIGTERM/SIGINT drains the
// in-flight requests, waits for their commits and closes the database.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createStderrLogger, type Logger } from '@telemetrics/libtelemetry/log';
import { type CollectorConfig, type Key, KEYS, parseConfigFile, resolveConfig } from './config.ts';
import { openDb } from './db/open.ts';
import type { Db } from './db/types.ts';
import { CollectorApp } from './http/app.ts';
import { CollectorListener } from './http/server.ts';
import { msUntil, purge } from './retention.ts';

const NAME = 'telemetrics-collector';
const DRAIN_MS = 10_000;

const HELP = `Usage: ${NAME} [OPTIONS]

Receives telemetry records (a drop-in for telemetrics-backend's collector) and stores
them in SQLite (default) or PostgreSQL (upstream's schema).

Options:
  -H, --host ADDR        address to listen on (default 127.0.0.1)
  -p, --port PORT        TCP port (default 8080; 0 picks a free one)
  -d, --db URL           sqlite:PATH or postgres://USER:PASS@HOST:PORT/DB
                         (default sqlite:/var/lib/telemetrics-collector/collector.db)
  -c, --config FILE      read settings from FILE (key = value lines; keys are the long
                         option names below), command-line options win
  -t, --tid TID          the X-Telemetry-TID records must carry
                         (default 6907c830-eed9-4ce9-81ae-76daf8d88f0f, Clear Linux's)
      --access-token T   let clients presenting T (Authorization: Bearer, or the
                         telemetrics_token cookie) read /api and /telemetryui; without
                         it only loopback clients may
      --max-record-bytes N   largest record body (default 16777216)
      --max-event-bytes N    largest /v1/events or /v1/logs body (default 8388608)
      --purge-old-records BOOL          daily purge on or off (default true)
      --purge-filtered-records LIST     CLASS:DAYS,... (default org.clearlinux/hello/world:1)
      --max-days-keep-unfiltered-records N   other records' days (default 35; 0 keeps)
      --purge-at HH:MM                  when the purge runs, local time (default 04:30)
      --log-level LEVEL  err, warning, notice, info (default) or debug
  -h, --help             show this help and exit
      --version          print the version and exit

Routes: POST /v2/collector and / (headers API), POST /v3/collector (JSON API),
POST /v2/collector/batch, GET /api/records, POST /v1/events (application/jsonl),
POST /v1/logs (OTLP/HTTP JSON), /telemetryui/ (web views). See docs/collector.md.

Once listening it prints its base URL (http://HOST:PORT) on stdout and logs on stderr.
Exit status: 0 after SIGTERM/SIGINT, 1 if it cannot start, 2 on a usage error.
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

type Parsed = { config: CollectorConfig } | { exit: number };

function parseCommandLine(argv: string[]): Parsed {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    config: { type: 'string', short: 'c' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
  };
  for (const key of KEYS) options[key] = { type: 'string' };
  options['host']!.short = 'H';
  options['port']!.short = 'p';
  options['db']!.short = 'd';
  options['tid']!.short = 't';
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (err) {
    process.stderr.write(`${NAME}: ${(err as Error).message}; try --help\n`);
    return { exit: 2 };
  }
  if (values['help']) {
    process.stdout.write(HELP);
    return { exit: 0 };
  }
  if (values['version']) {
    process.stdout.write(`${NAME} ${version()}\n`);
    return { exit: 0 };
  }
  try {
    const layers: Map<Key, string>[] = [];
    const file = values['config'];
    if (typeof file === 'string') layers.push(parseConfigFile(readFileSync(file, 'utf8'), file));
    const cli = new Map<Key, string>();
    for (const key of KEYS) if (typeof values[key] === 'string') cli.set(key, values[key] as string);
    layers.push(cli);
    return { config: resolveConfig(layers) };
  } catch (err) {
    process.stderr.write(`${NAME}: ${(err as Error).message}\n`);
    return { exit: 2 };
  }
}

function schedulePurge(db: Db, config: CollectorConfig, log: Logger): () => void {
  if (!config.purge.enabled) return () => {};
  let timer: NodeJS.Timeout;
  const arm = (): void => {
    timer = setTimeout(
      () => {
        purge(db, config.purge, Date.now() / 1000)
          .then(
            (deleted) => log.log('info', 'purge done', { deleted }),
            (err: unknown) => log.log('err', 'purge failed', { error: (err as Error).message }),
          )
          .finally(arm);
      },
      msUntil(config.purge.at, new Date()),
    );
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv);
  if ('exit' in parsed) return parsed.exit;
  const { config } = parsed;
  const log = createStderrLogger(config.logLevel);
  let db: Db;
  try {
    db = await openDb(config.db);
  } catch (err) {
    log.log('err', 'cannot open the database', { db: redact(config.db), error: (err as Error).message });
    return 1;
  }
  const app = new CollectorApp({
    db,
    log,
    tid: config.tid,
    maxRecordBytes: config.maxRecordBytes,
    maxEventBytes: config.maxEventBytes,
    ...(config.accessToken !== undefined ? { accessToken: config.accessToken } : {}),
  });
  const listener = new CollectorListener((req, res) => {
    log.log('debug', 'request', { method: req.method, path: req.url });
    app.handle(req, res);
  });
  let address: { port: number; address: string };
  try {
    const fd = socketActivationFd(process.env, process.pid);
    delete process.env['LISTEN_PID'];
    delete process.env['LISTEN_FDS'];
    delete process.env['LISTEN_FDNAMES'];
    if (fd !== null) {
      const bound = await listener.listenFd(fd);
      address = typeof bound === 'object' && bound !== null ? bound : { address: `fd ${fd}`, port: 0 };
    } else {
      address = await listener.listen(config.port, config.host);
    }
  } catch (err) {
    log.log('err', 'cannot listen', { host: config.host, port: config.port, error: (err as Error).message });
    await db.close();
    return 1;
  }
  const stopPurge = schedulePurge(db, config, log);
  log.log('notice', 'listening', { host: address.address, port: address.port, db: redact(config.db) });
  // Not awaited: the collector answers from now on; pages asked meanwhile compute their own.
  const warmStart = performance.now();
  app.warmViews().then(
    (r) =>
      log.log(
        'info',
        'web views warmed',
        'skipped' in r ? { skipped: r.skipped } : { ms: Math.round(performance.now() - warmStart) },
      ),
    (err: unknown) => log.log('warning', 'warming the web views failed', { error: (err as Error).message }),
  );
  // The base URL on stdout, one line, for scripts that start the collector on port 0.
  if (address.port !== 0) {
    const host = address.address.includes(':') ? `[${address.address}]` : address.address;
    process.stdout.write(`http://${host}:${address.port}\n`);
  }
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  log.log('notice', 'stopping', { signal, in_flight: listener.inFlight });
  stopPurge();
  const { cut } = await listener.drain(DRAIN_MS);
  await app.store.drained();
  await db.close();
  log.log('notice', 'stopped', cut > 0 ? { cut } : {});
  return 0;
}

/** systemd socket activation: the first inherited fd (3) when LISTEN_PID names this process. */
function socketActivationFd(env: NodeJS.ProcessEnv, pid: number): number | null {
  if (env['LISTEN_PID'] !== String(pid)) return null;
  return Number(env['LISTEN_FDS'] ?? '0') >= 1 ? 3 : null;
}

/** The URL without its password, for logs. */
function redact(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/, '$1:***@');
}

process.exitCode = await main(process.argv.slice(2));
