#!/usr/bin/env node
// telemd entry point: argv + config -> daemon, signals, exit code. The only
// module that reads argv and the environment or sets process.exitCode.
//
// Two stages, so the socket accepts early (docs/performance.md, "Start-up and memory"): this
// file checks what could refuse the start (preflight.ts) and listens; only then does it load the daemon
// (daemon.ts and all it imports, a chunk of its own in the bundle). Connections made meanwhile
// wait in the listener and are served once the daemon is ready. Under socket activation
// systemd already holds the socket, so the daemon is loaded first and listens once ready:
// if it fails to start, queued clients stay queued for the next start.
import { readFileSync } from 'node:fs';
import { flushCompileCache } from 'node:module';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type TelemetryConfig } from '@telemetrics/libtelemetry/config';
import { createStderrLogger, type Logger, type LogLevel, LogLevels } from '@telemetrics/libtelemetry/log';
import type { Daemon } from './daemon.ts';
import { type Listener, openListener, socketActivationFd } from './intake/listen.ts';
import { preflight } from './preflight.ts';

// With NODE_COMPILE_CACHE (telemd.service sets it) node writes the cache only at exit, which a
// killed daemon never reaches: write it once started too. A no-op without a cache or when unchanged.
setTimeout(() => flushCompileCache(), 2000).unref();

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Bound on finishing in-flight work at SIGTERM/SIGINT/idle exit. */
const SHUTDOWN_TIMEOUT_MS = 15_000;

const HELP = `NAME
  telemd - telemetrics daemon: record intake and delivery

SYNOPSIS
  telemd [-f FILE] [--log-level LEVEL] [-v]

DESCRIPTION
  Receives records from probes on a unix socket (socket_path, or the socket
  passed by systemd socket activation), checks and enriches them (machine_id,
  host-derived headers), writes each to the spool (spool_dir) before it counts
  as accepted, and posts them to the collector (server) with the v2 or v3 API,
  retrying with backoff while the collector is unreachable.

  Logs go to stderr, one line each, with sd-daemon <N> priority prefixes. The
  last line, "telemd stopped", counts what became of the records. With
  daemon_recycling_enabled=true, telemd exits after idle_exit_seconds without
  work; socket activation starts it again.

OPTIONS
  -f, --config-file FILE   Read the configuration from FILE instead of
                           /etc/telemetrics/telemetrics.conf, then
                           /usr/share/defaults/telemetrics/telemetrics.conf,
                           then the built-in defaults. (--config_file is
                           accepted, the C spelling.)
      --log-level LEVEL    Log messages up to LEVEL: emerg, alert, crit, err,
                           warning, notice, info (default) or debug.
  -v, --verbose            Same as --log-level debug.
  -V, --version            Print "telemd VERSION" and exit.
  -h, --help               Show this help and exit.

SIGNALS
  SIGTERM, SIGINT          Stop accepting, finish records in flight (at most
                           ${SHUTDOWN_TIMEOUT_MS / 1000} s), exit 0. Received while telemd starts,
                           they stop it as soon as it runs: records sent to
                           it meanwhile are delivered or spooled first.
  SIGHUP                   Reload the whole configuration without dropping
                           connections. A changed socket_path needs a restart;
                           a configuration that does not load (or names an
                           unusable spool_dir) is refused and the current one
                           kept.

EXIT STATUS
  0  a clean stop (signal or idle exit); --help, --version
  1  telemd could not start: the configuration does not load, the socket
     cannot be listened on (code=TELEMD_SOCKET_*), or the spool directory
     cannot be created, is not a directory or is not writable
     (code=TELEMD_SPOOL_DIR), each with one <3> line naming the path and the
     reason; an internal error; a usage error (as the C daemons)

FILES
  /etc/telemetrics/telemetrics.conf, /usr/share/defaults/telemetrics/telemetrics.conf
      configuration
  /run/telem-0
      socket_path: where probes send records
  /var/spool/telemetry
      spool_dir: records not yet delivered (quarantine in .quarantine/)
  /var/spool/telemetry-crash
      crash_dir: crash reports of Node programs that could not reach telemd
  /var/log/telemetry/journal
      journal_file: delivered records ("telemctl journal")
  /var/lib/telemetry/telemd-status.json
      status_file: counters and spool usage ("telemctl status")
  /var/lib/telemetry/machine_id
      machine_id_file: the rotating machine id

SEE ALSO
  telemctl(1), hprobe(1), telem-record-gen(1), crashprobe(8)
`;

function usageError(message: string): void {
  process.stderr.write(`telemd: ${message}\nTry 'telemd --help' for more information.\n`);
  // The C telemprobd/telempostd exit 1 on a bad option (spec 5.1).
  process.exitCode = 1;
}

interface Cli {
  readonly configFile: string | undefined;
  readonly level: LogLevel;
}

function parseCli(argv: string[]): Cli | 'exit' {
  let values: ReturnType<typeof parse>['values'];
  function parse(args: string[]) {
    return parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        'config-file': { type: 'string', short: 'f' },
        config_file: { type: 'string' },
        'log-level': { type: 'string' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    });
  }
  try {
    values = parse(argv).values;
  } catch (error) {
    usageError((error as Error).message.split('\n')[0] ?? 'bad arguments');
    return 'exit';
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 'exit';
  }
  if (values.version) {
    process.stdout.write(`telemd ${VERSION}\n`);
    return 'exit';
  }
  let level: LogLevel = values.verbose ? 'debug' : 'info';
  const requested = values['log-level'];
  if (requested !== undefined) {
    if (!(requested in LogLevels)) {
      usageError(`unknown log level "${requested}"`);
      return 'exit';
    }
    level = requested as LogLevel;
  }
  return { configFile: values['config-file'] ?? values.config_file, level };
}

async function readConfig(configFile: string | undefined, logger: Logger): Promise<TelemetryConfig> {
  const loaded = await loadConfig({ configFile });
  for (const warning of loaded.warnings) logger.log('warning', warning, { path: loaded.path ?? undefined });
  logger.log('info', 'configuration loaded', { path: loaded.path ?? '(built-in defaults)' });
  return loaded.config;
}

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  if (cli === 'exit') return;
  const logger = createStderrLogger(cli.level);
  process.on('unhandledRejection', (reason) => {
    logger.log('crit', 'unhandled rejection', { error: String(reason) });
    process.exit(1);
  });
  process.on('uncaughtException', (error) => {
    logger.log('crit', 'uncaught exception', { error: error.stack ?? String(error) });
    process.exit(1);
  });
  // SIGHUP's default action kills: while starting, one only asks for a reload once running.
  let hupWhileStarting = false;
  const onHupWhileStarting = (): void => {
    hupWhileStarting = true;
  };
  process.on('SIGHUP', onHupWhileStarting);
  // The socket listens before the daemon is loaded: a SIGTERM/SIGINT in between must not kill
  // telemd with connections held unread. It stops it, cleanly, as soon as it runs.
  let stopWhileStarting: NodeJS.Signals | undefined;
  const onStopWhileStarting = (signal: NodeJS.Signals): void => {
    stopWhileStarting ??= signal;
  };
  process.on('SIGTERM', onStopWhileStarting);
  process.on('SIGINT', onStopWhileStarting);

  let config: TelemetryConfig;
  try {
    config = await readConfig(cli.configFile, logger);
  } catch (error) {
    const e = error as Error & { code?: string };
    logger.log('err', e.message, { code: e.code ?? 'TELEMD_CONFIG' });
    process.exitCode = 1;
    return;
  }

  const inheritedFd = socketActivationFd(process.env, process.pid);
  // Children (none today) must not think the fds are theirs (sd_listen_fds(unset_environment=1)).
  delete process.env.LISTEN_PID;
  delete process.env.LISTEN_FDS;
  delete process.env.LISTEN_FDNAMES;

  let daemon: Daemon;
  try {
    let listener: Listener | undefined;
    if (inheritedFd === undefined) {
      preflight(config);
      listener = await openListener({
        socketPath: config.socket_path,
        maxConnections: config.intake_max_connections,
        logger,
      });
    }
    const { startDaemon } = await import('./daemon.ts').catch(async (error: unknown) => {
      await listener?.abandon();
      throw error;
    });
    daemon = await startDaemon({
      config,
      logger,
      inheritedFd,
      ...(listener ? { listener } : {}),
      // As loadConfig resolves it; probes send the absolute path they were given with -f.
      configFile: cli.configFile === undefined ? undefined : resolve(cli.configFile),
      loadOverride: async (path) => {
        const { config: o } = await loadConfig({ configFile: path });
        return { server: o.server, tidheader: o.tidheader, cainfo: o.cainfo };
      },
    });
  } catch (error) {
    const e = error as Error & { code?: string };
    logger.log('err', e.message, { code: e.code ?? 'TELEMD_SOCKET_LISTEN' });
    process.exitCode = 1;
    return;
  }
  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.log('notice', 'stopping', { reason: why });
    await daemon.close(SHUTDOWN_TIMEOUT_MS);
    logger.log('notice', 'telemd stopped', daemon.summary());
    process.exitCode = 0;
    // Anything still holding the loop open after a clean close must not keep us alive.
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.off('SIGTERM', onStopWhileStarting);
  process.off('SIGINT', onStopWhileStarting);
  daemon.on('idle', () => void stop('idle'));
  let reloading = Promise.resolve();
  const reload = (): void => {
    reloading = reloading.then(async () => {
      if (stopping) return;
      try {
        const next = await readConfig(cli.configFile, logger);
        await daemon.reload(next);
      } catch (error) {
        const e = error as Error & { code?: string };
        logger.log('err', 'reload failed; keeping the current configuration', {
          code: e.code ?? 'TELEMD_CONFIG',
          error: e.message,
        });
      }
    });
  };
  process.on('SIGHUP', reload);
  process.off('SIGHUP', onHupWhileStarting);
  if (hupWhileStarting) reload();
  // Last, after the handlers: the line says telemd is ready, and a SIGHUP sent on seeing it
  // must find its handler (the default action would kill the daemon).
  logger.log('notice', 'telemd started', {
    version: VERSION,
    socket: daemon.socketPath,
    activated: inheritedFd !== undefined,
    server: config.record_server_delivery_enabled ? config.server : '(delivery disabled)',
    api: config.server_api,
  });
  if (stopWhileStarting !== undefined) void stop(stopWhileStarting);
}

await main();
