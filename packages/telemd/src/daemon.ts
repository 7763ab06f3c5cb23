// Wires the stages: listener -> door (intake/admit.ts: frame, validate/enrich)
// -> the stage's pipeline (-> sink). The only module that knows all of them.
// close() stops accepting and drains in-flight work within a bound.
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import type { TelemetryConfig } from '@telemetrics/libtelemetry/config';
import type { Logger } from '@telemetrics/libtelemetry/log';
import { createInFlight, type InFlight } from './in-flight.ts';
import { createDoor, type Door } from './intake/admit.ts';
import { startCrashDirDrain } from './intake/crash-dir.ts';
import { checkSocketPath, type Listener, openListener } from './intake/listen.ts';
import { createConnectionSlots } from './intake/slots.ts';
import { monotonicMs } from './observe/clock.ts';
import { type Counters, createCounters, createMetrics } from './observe/metrics.ts';
import type { TelemRecord } from './record.ts';
import {
  buildReadyStage,
  buildStage,
  closeStage,
  type DaemonLifeState,
  retireStage,
  type Stage,
  type StageOptions,
} from './stage.ts';

export type { PipelineContext } from './stage.ts';

/** A connection that has sent nothing for this long may be shed at the cap (intake/slots.ts). */
const SHED_IDLE_AFTER_MS = 1000;

export interface DaemonOptions extends StageOptions {
  readonly config: TelemetryConfig;
  readonly logger: Logger;
  /** fd from socket activation (main.ts reads LISTEN_PID/LISTEN_FDS). */
  readonly inheritedFd?: number | undefined;
  /** Already listening (main.ts opens it before loading this module); else startDaemon listens once ready. */
  readonly listener?: Listener;
}

export interface ReloadReport {
  readonly changed: readonly string[];
  readonly needsRestart: readonly string[];
}

export interface DaemonEvents {
  accepted: [TelemRecord];
  rejected: [{ code: string; detail: string; bytes: number }];
  idle: [];
}

export interface Daemon extends EventEmitter<DaemonEvents> {
  readonly socketPath: string;
  /** Intake's counters (accepted, rejected, shed, connections). */
  readonly counters: Counters;
  /** Intake's counts, then the pipeline's (delivered, spooled, dropped by reason, ...): the exit line. */
  summary(): Readonly<Record<string, number>>;
  readonly config: TelemetryConfig;
  readonly machineId: string;
  /** Connections being read plus records not yet taken by the pipeline. */
  busy(): number;
  reload(config: TelemetryConfig): Promise<ReloadReport>;
  /** Stop accepting, finish in-flight work within `timeoutMs`, release everything. Idempotent. */
  close(timeoutMs?: number): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * The first stage, ready. Refuse before buildStage opens the spool (its start-up pass drains and
 * removes other pids' temp files), the machine id and the status file: a second daemon on a live
 * socket must not touch the first one's state, and a bad socket path must fail before any of that.
 * A listener passed in has been through the same check (main.ts listens first, then loads this module).
 */
async function openFirstStage(options: DaemonOptions, life: DaemonLifeState): Promise<Stage> {
  if (options.listener === undefined && options.inheritedFd === undefined) {
    await checkSocketPath(options.config.socket_path, options.logger);
  }
  try {
    return await buildReadyStage(options.config, options, life);
  } catch (error) {
    if (options.listener) {
      // main.ts's preflight makes this a race (the spool directory changed since): say what it cost.
      const dropped = await options.listener.abandon();
      if (dropped > 0) {
        options.logger.log('err', 'start-up failed; connections accepted while starting were closed unread', {
          connections: dropped,
        });
      }
    }
    throw error;
  }
}

/** The listener passed in, or one opened now that the first stage is ready (closed again on failure). */
async function listenerFor(stage: Stage, options: DaemonOptions): Promise<Listener> {
  try {
    return (
      options.listener ??
      (await openListener({
        socketPath: stage.config.socket_path,
        inheritedFd: options.inheritedFd,
        maxConnections: stage.config.intake_max_connections,
        logger: options.logger,
      }))
    );
  } catch (error) {
    await closeStage(stage);
    throw error;
  }
}

/** The keys that differ between two configurations, and those of them only a restart applies. */
export function configChanges(old: TelemetryConfig, next: TelemetryConfig): ReloadReport {
  const changed = Object.keys(next).filter(
    (k) => old[k as keyof TelemetryConfig] !== next[k as keyof TelemetryConfig],
  );
  return { changed, needsRestart: changed.filter((k) => k === 'socket_path') };
}

/** The stage for `config`, ready; if it cannot be, it is retired and the running one stays. */
async function readyNextStage(
  old: Stage,
  config: TelemetryConfig,
  options: DaemonOptions,
  life: DaemonLifeState,
): Promise<Stage> {
  const next = await buildStage(config, options, life, old);
  try {
    await next.pipeline.ready;
  } catch (error) {
    // Refused like a config that does not load: the running stage stays.
    await retireStage(next, old);
    throw error;
  }
  return next;
}

function logReload(
  logger: Logger,
  report: ReloadReport,
  socket: { current: string; configured: string },
): void {
  logger.log('notice', 'configuration reloaded', {
    changed: report.changed.length > 0 ? report.changed.join(',') : 'none',
  });
  if (report.needsRestart.length > 0) {
    logger.log('warning', 'socket_path changed: the new path takes effect only after a restart', socket);
  }
}

/**
 * Idle exit (daemon_recycling_enabled): C exits 300 s after the last client (spec 5.3, 9.5).
 * `touch()` restarts the wait; when it ends while work remains, it waits again.
 */
function createIdleTimer(options: {
  readonly config: () => TelemetryConfig;
  readonly stopped: () => boolean;
  readonly busy: () => boolean;
  readonly onIdle: () => void;
}): { touch(): void; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  function stop(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
  }
  function touch(): void {
    stop();
    if (options.stopped() || !options.config().daemon_recycling_enabled) return;
    timer = setTimeout(expire, options.config().idle_exit_seconds * 1000);
    timer.unref();
  }
  function expire(): void {
    timer = undefined;
    if (options.busy()) touch();
    else options.onIdle();
  }
  return { touch, stop };
}

/** The connections being served: their sockets and their work, from accept until answered. */
interface Connections {
  readonly sockets: Set<net.Socket>;
  readonly work: InFlight;
}

interface CloseParts {
  readonly logger: Logger;
  readonly listener: Listener;
  readonly connections: Connections;
  readonly crashDir: { close(): Promise<void> };
  readonly door: Door;
  readonly stage: () => Stage;
  readonly retiring: InFlight;
}

/** Stop accepting, let accepted connections finish within `timeoutMs`, then release everything. */
async function closeDaemon(parts: CloseParts, timeoutMs: number): Promise<void> {
  const { server, bound } = parts.listener;
  const { sockets, work } = parts.connections;
  const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
  // Connections already accepted may finish their frame; the deadline bounds them.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const drained = (async () => {
    await parts.crashDir.close();
    await work.settled();
    await retireStage(parts.stage());
    await parts.retiring.settled();
    // Last: retiring stages may share it and still journal their final deliveries.
    await parts.stage().journal.close();
  })();
  const outcome = await Promise.race([drained.then(() => 'drained' as const), deadline]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    parts.logger.log('err', 'shutdown deadline passed; aborting in-flight work', {
      connections: sockets.size,
      in_flight: work.size,
    });
    for (const s of sockets) s.destroy();
  }
  await stopped;
  parts.door.flushLogs();
  await bound.cleanup();
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { logger } = options;
  // One set for the daemon's life: a SIGHUP reload must not reset what telemctl status shows.
  const life: DaemonLifeState = { counters: createCounters(), metrics: createMetrics() };
  const { counters } = life;
  let stage = await openFirstStage(options, life);
  const listener = await listenerFor(stage, options);
  const { server, bound } = listener;
  // The cap is enforced by `slots` (intake/slots.ts), which sheds idle connections first and
  // answers the refused ones; Node's maxConnections would close them unanswered at accept.
  server.maxConnections = Number.POSITIVE_INFINITY;
  const slots = createConnectionSlots<net.Socket>({
    max: () => stage.config.intake_max_connections,
    idleMs: SHED_IDLE_AFTER_MS,
  });
  const emitter = new EventEmitter<DaemonEvents>();
  const door = createDoor({
    logger,
    counters,
    slots,
    stage: () => stage,
    onAccepted: (record) => emitter.emit('accepted', record),
    onRejected: (event) => emitter.emit('rejected', event),
  });
  const connections: Connections = { sockets: new Set(), work: createInFlight() };
  const retiring = createInFlight();
  let connectionSeq = 0;
  let closing: Promise<void> | undefined;
  // One entry per connection, from accept until the pipeline has taken its record.
  const busy = (): number => connections.work.size;
  const idle = createIdleTimer({
    config: () => stage.config,
    stopped: () => closing !== undefined,
    // The OTLP outbox holding records (sink.isIdle) postpones it as the spool does: docs/otlp.md.
    busy: () => busy() > 0 || stage.pipeline.isIdle?.() === false || stage.sink.isIdle?.() === false,
    onIdle: () => {
      logger.log('info', 'idle; exiting so activation can restart on demand', {
        idle_exit_seconds: stage.config.idle_exit_seconds,
      });
      emitter.emit('idle');
    },
  });

  function onConnection(socket: net.Socket): void {
    // listen.ts greeted it at accept (wire/ack.ts).
    const { admitted, shed: idleOnes } = slots.admit(socket, monotonicMs());
    for (const s of idleOnes) door.shed(s, 'idle');
    if (!admitted) {
      door.shed(socket, 'new');
      return;
    }
    counters.connections++;
    connections.sockets.add(socket);
    idle.touch();
    const work = door
      .handle(socket, { connection: ++connectionSeq })
      .catch((error: unknown) => {
        logger.log('err', 'internal error while handling a connection', { error: String(error) });
      })
      .finally(() => {
        slots.release(socket);
        socket.destroy();
        connections.sockets.delete(socket);
      });
    // Tracked until its cleanup ran; then the idle timer restarts, with this one gone.
    void connections.work.track(work).finally(() => idle.touch());
  }

  idle.touch();
  listener.serve(onConnection);
  // Crash reports Node programs kept while telemd was unreachable (intake/crash-dir.ts).
  const crashDir = startCrashDirDrain({
    dir: stage.config.crash_dir,
    admit: (frame, bytes) => door.admit(frame, { connection: ++connectionSeq }, bytes),
    logger,
  });

  async function reload(config: TelemetryConfig): Promise<ReloadReport> {
    const old = stage;
    const report = configChanges(old.config, config);
    stage = await readyNextStage(old, config, options, life);
    // The old pipeline finishes what it already accepted; new records use the new one.
    void retiring.track(
      retireStage(old, stage).catch((error: unknown) =>
        logger.log('err', 'error while retiring the old pipeline', { error: String(error) }),
      ),
    );
    logReload(logger, report, { current: bound.path, configured: config.socket_path });
    idle.touch();
    return report;
  }

  function close(timeoutMs = 10_000): Promise<void> {
    closing ??= (async () => {
      idle.stop();
      await closeDaemon(
        { logger, listener, connections, crashDir, door, stage: () => stage, retiring },
        timeoutMs,
      );
    })();
    return closing;
  }

  return Object.assign(emitter, {
    get socketPath() {
      return bound.path;
    },
    counters,
    summary: () => ({
      accepted: counters.accepted,
      rejected: counters.rejected,
      shed: counters.shed,
      ...stage.pipeline.summary?.(),
    }),
    get config() {
      return stage.config;
    },
    get machineId() {
      return stage.machineId.current();
    },
    busy,
    reload,
    close,
    [Symbol.asyncDispose]: () => close(),
  });
}
