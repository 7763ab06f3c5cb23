// Wires the stages: listener -> connection (frame) -> validate/enrich ->
// pipeline (-> sink). The only module that knows all of them. close() stops
// accepting and drains in-flight work within a bound; destroy() aborts.
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import type { TelemetryConfig } from '@telemetrics/libtelemetry/config';
import type { DecodedFrame } from '@telemetrics/libtelemetry/wire';
import type { Logger } from '@telemetrics/libtelemetry/log';
import type { LoadTarget } from './deliver/cfg-override.ts';
import { createOverrideResolver } from './deliver/cfg-override.ts';
import { createHttpSink } from './deliver/http.ts';
import { withOtlpExport } from './deliver/otlp/index.ts';
import type { Sink } from './deliver/sink.ts';
import { readDaemonHostFacts } from './enrich/host-facts.ts';
import { createMachineIdSource, type MachineIdSource } from './enrich/machine-id.ts';
import { readFrame } from './intake/connection.ts';
import { answer } from './intake/reply.ts';
import { createLogBudget } from './intake/log-budget.ts';
import { createConnectionSlots } from './intake/slots.ts';
import { checkSocketPath, type Listener, openListener } from './intake/listen.ts';
import { type HostFacts, validateFrame } from './intake/validate.ts';
import {
  createJournalHook,
  type JournalHook,
  journalingPipeline,
  journalingSink,
  type RecordFateJournal,
} from './journal/journal-hook.ts';
import { Channels, type Counters, createCounters, createMetrics, type PeerInfo, publish } from './metrics.ts';
import type { Pipeline, Refusal } from './pipeline.ts';
import { startCrashDirDrain } from './crash-dir/drain-crash-dir.ts';
import type { TelemRecord } from './record.ts';
import { createDurablePipeline } from './spool/durable.ts';
import { monotonicMs } from './clock.ts';

/** A connection that has sent nothing for this long may be shed at the cap (intake/slots.ts). */
const SHED_IDLE_AFTER_MS = 1000;

export interface PipelineContext {
  readonly config: TelemetryConfig;
  readonly sink: Sink;
  readonly logger: Logger;
  readonly counters: Counters;
  /** Records the pipeline gives up on go to the journal's `.dropped` side file. */
  readonly journal?: RecordFateJournal;
}

export interface DaemonOptions {
  readonly config: TelemetryConfig;
  readonly logger: Logger;
  /** fd from socket activation (main.ts reads LISTEN_PID/LISTEN_FDS). */
  readonly inheritedFd?: number | undefined;
  /** Already listening (main.ts opens it before loading this module); else startDaemon listens once ready. */
  readonly listener?: Listener;
  /** Host facts for refilling host-derived headers; re-read on reload. */
  readonly readHostFacts?: (config: TelemetryConfig) => Promise<HostFacts>;
  /** Reads a CFG: override file's server/tidheader/cainfo; without it overrides are ignored (logged). */
  readonly loadOverride?: LoadTarget;
  /** Owner an override file must have (0 = root; tests may pass their own uid). */
  readonly trustedOverrideUid?: number;
  /** Absolute path `config` was loaded from; records whose CFG: names it use the main config quietly. */
  readonly configFile?: string | undefined;
  readonly createSink?: (context: { config: TelemetryConfig; logger: Logger }) => Sink;
  /** Replaces the durable pipeline (spool/durable.ts); only tests do, with a stub. */
  readonly createPipeline?: (context: PipelineContext) => Pipeline;
  /** Wall clock for machine-id rotation. */
  readonly now?: () => number;
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

function defaultSink(config: TelemetryConfig, logger: Logger, options: DaemonOptions): Sink {
  const resolveOverride = options.loadOverride
    ? createOverrideResolver({
        load: options.loadOverride,
        logger,
        mainConfigFile: options.configFile,
        ...(options.trustedOverrideUid === undefined ? {} : { trustedUid: options.trustedOverrideUid }),
      })
    : undefined;
  return createHttpSink({
    target: { server: config.server, tidheader: config.tidheader, cainfo: config.cainfo },
    serverApi: config.server_api,
    logger,
    resolveOverride,
    connections: config.delivery_connections,
    connectTimeoutMs: config.delivery_connect_timeout_ms,
    totalTimeoutMs: config.delivery_timeout_ms,
  });
}

interface Stage {
  readonly config: TelemetryConfig;
  readonly sink: Sink;
  readonly pipeline: Pipeline;
  /** Shared by consecutive stages while the journal keys stay the same (one writer per file). */
  readonly journal: JournalHook;
  readonly machineId: MachineIdSource;
  readonly hostFacts: HostFacts;
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { logger } = options;
  const counters = createCounters();
  // One set for the daemon's life: a SIGHUP reload must not reset what telemctl status shows.
  const metrics = createMetrics();
  const readFacts = options.readHostFacts ?? readDaemonHostFacts;

  function journalFor(config: TelemetryConfig, previous: Stage | undefined): JournalHook {
    const same = (a: TelemetryConfig, b: TelemetryConfig) =>
      a.journal_file === b.journal_file &&
      a.record_retention_enabled === b.record_retention_enabled &&
      a.record_retention_dir === b.record_retention_dir;
    if (previous && same(previous.config, config)) return previous.journal;
    return createJournalHook({
      journalFile: config.journal_file,
      retentionEnabled: config.record_retention_enabled,
      retentionDir: config.record_retention_dir,
      logger,
    });
  }

  async function buildStage(config: TelemetryConfig, previous?: Stage): Promise<Stage> {
    const machineId = await createMachineIdSource({
      staticFile: config.static_machine_id_file,
      idFile: config.machine_id_file,
      logger,
      ...(options.now ? { now: options.now } : {}),
    });
    const hostFacts = await readFacts(config);
    const journal = journalFor(config, previous);
    // Every record the server accepts is journaled, whichever path delivered it (BUG-17).
    const sink: Sink = journalingSink(
      withOtlpExport(
        options.createSink ? options.createSink({ config, logger }) : defaultSink(config, logger, options),
        { config, logger, metrics, journal },
      ),
      journal,
    );
    // Durable by default: write-ahead spool, drainer, rate limits (spool/durable.ts).
    const pipeline = journalingPipeline(
      options.createPipeline
        ? options.createPipeline({ config, sink, logger, counters, journal })
        : createDurablePipeline({ config, sink, logger, counters, journal, metrics }),
      journal,
      { deliveryEnabled: config.record_server_delivery_enabled },
    );
    return { config, sink, pipeline, machineId, hostFacts, journal };
  }

  async function retire(stage: Stage, next?: Stage): Promise<void> {
    stage.machineId.close();
    await stage.pipeline.close();
    await stage.sink.close();
    if (next && next.journal !== stage.journal) await stage.journal.close();
  }

  // Refuse before buildStage opens the spool (its start-up pass drains and removes other pids'
  // temp files), the machine id and the status file: a second daemon on a live socket must not
  // touch the first one's state, and a bad socket path must fail before any of that. A listener
  // passed in has been through the same check (main.ts listens first, then loads this module).
  if (options.listener === undefined && options.inheritedFd === undefined) {
    await checkSocketPath(options.config.socket_path, logger);
  }
  let stage: Stage;
  try {
    stage = await buildStage(options.config);
    try {
      // An unusable spool (cannot be created, not a directory, not writable) is a start-up error:
      // a daemon that accepts records it cannot keep would lose them (TELEMD_SPOOL_DIR).
      await stage.pipeline.ready;
    } catch (error) {
      await retire(stage);
      await stage.journal.close();
      throw error;
    }
  } catch (error) {
    if (options.listener) {
      // main.ts's preflight makes this a race (the spool directory changed since): say what it cost.
      const dropped = await options.listener.abandon();
      if (dropped > 0) {
        logger.log('err', 'start-up failed; connections accepted while starting were closed unread', {
          connections: dropped,
        });
      }
    }
    throw error;
  }
  let listener: Listener;
  try {
    listener =
      options.listener ??
      (await openListener({
        socketPath: stage.config.socket_path,
        inheritedFd: options.inheritedFd,
        maxConnections: stage.config.intake_max_connections,
        logger,
      }));
  } catch (error) {
    await retire(stage);
    await stage.journal.close();
    throw error;
  }
  const { server, bound } = listener;
  // The cap is enforced by `slots` (intake/slots.ts), which sheds idle connections first and
  // answers the refused ones; Node's maxConnections would close them unanswered at accept.
  server.maxConnections = Number.POSITIVE_INFINITY;
  const slots = createConnectionSlots<net.Socket>({
    max: () => stage.config.intake_max_connections,
    idleMs: SHED_IDLE_AFTER_MS,
  });

  const emitter = new EventEmitter<DaemonEvents>();
  const sockets = new Set<net.Socket>();
  const inFlight = new Set<Promise<void>>();
  const retiring = new Set<Promise<void>>();
  let connectionSeq = 0;
  let closing: Promise<void> | undefined;

  // Client-triggered warnings are logged at most once a second, the rest counted (log-budget.ts).
  const shedLog = createLogBudget({
    logger,
    level: 'warning',
    message: 'too many open connections; closed idle ones (or the new one)',
    intervalMs: 1000,
    countField: 'shed',
  });
  const rejectLog = createLogBudget({
    logger,
    level: 'warning',
    message: 'frame rejected',
    intervalMs: 1000,
    countField: 'rejected',
  });

  const wasShed = new WeakSet<net.Socket>();
  function shed(socket: net.Socket, which: 'idle' | 'new'): void {
    counters.shed++;
    publish(Channels.shed, { open: slots.open });
    shedLog.note(which, {
      code: 'TELEMD_SHED',
      which,
      max_connections: stage.config.intake_max_connections,
    });
    answer(socket, { ok: false, code: 'TELEM_SHED', detail: 'too many open connections' });
  }

  function reject(peer: PeerInfo, code: string, detail: string, bytes: number): void {
    counters.rejected++;
    counters.rejectedByCode.set(code, (counters.rejectedByCode.get(code) ?? 0) + 1);
    // Node has no SO_PEERCRED: the peer's uid/pid cannot be logged, only the connection number.
    const fields = { code, detail, bytes, conn: peer.connection };
    // Connect-and-close (e.g. a liveness check) is not a hostile frame: keep it quiet.
    if (code === 'TELEMD_EMPTY_CONNECTION') logger.log('info', 'frame rejected', fields);
    else rejectLog.note(code, fields);
    publish(Channels.rejected, { code, detail, bytes, peer });
    emitter.emit('rejected', { code, detail, bytes });
  }

  /** Read one frame from a probe's socket; its fate as the probe is told it: undefined = kept. */
  async function readAndAdmit(socket: net.Socket, peer: PeerInfo): Promise<Refusal | undefined> {
    const current = stage;
    const result = await readFrame(socket, {
      readTimeoutMs: current.config.intake_read_timeout_ms,
      onFirstByte: () => slots.active(socket),
    });
    // Read: the connection now only waits for its answer.
    slots.release(socket);
    if (!result.ok) {
      // Shed while idle: already answered and counted as shed, not a rejected frame.
      if (wasShed.has(socket)) return { code: 'TELEM_SHED', detail: 'too many open connections' };
      reject(peer, result.code, result.detail, result.bytes);
      return { code: 'TELEM_INVALID_FRAME', detail: `${result.code}: ${result.detail}` };
    }
    return admit(result.frame, peer, result.bytes);
  }

  /**
   * Validate, enrich and hand to the pipeline a frame from the socket or the crash directory;
   * undefined once it is kept, else why not.
   */
  async function admit(frame: DecodedFrame, peer: PeerInfo, bytes: number): Promise<Refusal | undefined> {
    const valid = validateFrame(frame, {
      machineId: stage.machineId.current(),
      hostFacts: stage.hostFacts,
    });
    if (!valid.ok) {
      reject(peer, valid.code, valid.detail, bytes);
      return { code: 'TELEM_INVALID_FRAME', detail: `${valid.code}: ${valid.detail}` };
    }
    const { record } = valid;
    counters.accepted++;
    logger.log('debug', 'record accepted', {
      classification: record.headers.classification,
      event_id: record.headers.event_id,
      bytes,
      framing: frame.framing,
      refilled: valid.refilled.length > 0 ? valid.refilled.join(',') : undefined,
      trailing_bytes: frame.trailingBytes > 0 ? frame.trailingBytes : undefined,
      conn: peer.connection,
    });
    publish(Channels.accepted, { record, peer });
    emitter.emit('accepted', record);
    try {
      return (await stage.pipeline.accept(record)) ?? undefined;
    } catch (error) {
      logger.log('err', 'internal error while keeping a record', { error: String(error) });
      return { code: 'TELEM_SPOOL_IO', detail: 'internal error' };
    }
  }

  async function handle(socket: net.Socket): Promise<void> {
    const peer: PeerInfo = { connection: ++connectionSeq };
    const refusal = await readAndAdmit(socket, peer);
    // Only now is the probe told: after the record is durable (or delivered), or why not.
    answer(socket, refusal ? { ok: false, ...refusal } : { ok: true });
  }

  function onConnection(socket: net.Socket): void {
    // listen.ts greeted it at accept (wire/ack.ts).
    const { admitted, shed: idle } = slots.admit(socket, monotonicMs());
    for (const s of idle) {
      wasShed.add(s);
      shed(s, 'idle');
    }
    if (!admitted) {
      shed(socket, 'new');
      return;
    }
    counters.connections++;
    sockets.add(socket);
    touch();
    const work = handle(socket)
      .catch((error: unknown) => {
        logger.log('err', 'internal error while handling a connection', { error: String(error) });
      })
      .finally(() => {
        slots.release(socket);
        socket.destroy();
        sockets.delete(socket);
        inFlight.delete(work);
        touch();
      });
    inFlight.add(work);
  }

  // Idle exit (daemon_recycling_enabled): C exits 300 s after the last client (spec 5.3, 9.5).
  let idleTimer: NodeJS.Timeout | undefined;
  function touch(): void {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
    if (closing || !stage.config.daemon_recycling_enabled) return;
    idleTimer = setTimeout(onIdle, stage.config.idle_exit_seconds * 1000);
    idleTimer.unref();
  }
  function onIdle(): void {
    idleTimer = undefined;
    // The OTLP outbox holding records (sink.isIdle) postpones it as the spool does: docs/otlp.md.
    if (busy() > 0 || stage.pipeline.isIdle?.() === false || stage.sink.isIdle?.() === false) {
      touch();
      return;
    }
    logger.log('info', 'idle; exiting so activation can restart on demand', {
      idle_exit_seconds: stage.config.idle_exit_seconds,
    });
    emitter.emit('idle');
  }
  function busy(): number {
    // One entry per connection, from accept until the pipeline has taken its record.
    return inFlight.size;
  }
  touch();
  listener.serve(onConnection);
  // Crash reports Node programs kept while telemd was unreachable (crash-dir/drain-crash-dir.ts).
  const crashDir = startCrashDirDrain({
    dir: stage.config.crash_dir,
    admit: (frame, bytes) => admit(frame, { connection: ++connectionSeq }, bytes),
    logger,
  });

  async function reload(config: TelemetryConfig): Promise<ReloadReport> {
    const old = stage;
    const changed = Object.keys(config).filter(
      (k) => old.config[k as keyof TelemetryConfig] !== config[k as keyof TelemetryConfig],
    );
    const needsRestart = changed.filter((k) => k === 'socket_path');
    const next = await buildStage(config, old);
    try {
      await next.pipeline.ready;
    } catch (error) {
      // Refused like a config that does not load: the running stage stays.
      await retire(next, old);
      throw error;
    }
    stage = next;
    // The old pipeline finishes what it already accepted; new records use the new one.
    const r = retire(old, next)
      .catch((error: unknown) =>
        logger.log('err', 'error while retiring the old pipeline', { error: String(error) }),
      )
      .finally(() => retiring.delete(r));
    retiring.add(r);
    logger.log('notice', 'configuration reloaded', {
      changed: changed.length > 0 ? changed.join(',') : 'none',
    });
    if (needsRestart.length > 0) {
      logger.log('warning', 'socket_path changed: the new path takes effect only after a restart', {
        current: bound.path,
        configured: config.socket_path,
      });
    }
    touch();
    return { changed, needsRestart };
  }

  async function close(timeoutMs = 10_000): Promise<void> {
    closing ??= (async () => {
      if (idleTimer) clearTimeout(idleTimer);
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      // Connections already accepted may finish their frame; the deadline bounds them.
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const drained = (async () => {
        await crashDir.close();
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        await retire(stage);
        await Promise.allSettled([...retiring]);
        // Last: retiring stages may share it and still journal their final deliveries.
        await stage.journal.close();
      })();
      const outcome = await Promise.race([drained.then(() => 'drained' as const), deadline]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        logger.log('err', 'shutdown deadline passed; aborting in-flight work', {
          connections: sockets.size,
          in_flight: inFlight.size,
        });
        for (const s of sockets) s.destroy();
      }
      await stopped;
      shedLog.flush();
      rejectLog.flush();
      await bound.cleanup();
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
