// A stage: everything telemd builds from one configuration (machine id, host
// facts, sink, pipeline, journal). startDaemon builds one at start and a new one
// at each reload; the old one is retired once the new one is ready, finishing
// what it already accepted. The journal is shared by consecutive stages while
// its keys stay the same (one writer per file).
import type { TelemetryConfig } from '@telemetrics/libtelemetry/config';
import type { Logger } from '@telemetrics/libtelemetry/log';
import { createOverrideResolver, type LoadTarget } from './deliver/cfg-override.ts';
import { createHttpSink } from './deliver/http.ts';
import { withOtlpExport } from './deliver/otlp/index.ts';
import type { Sink } from './deliver/sink.ts';
import { type HostFacts, readDaemonHostFacts } from './enrich/host-facts.ts';
import { createMachineIdSource, type MachineIdSource } from './enrich/machine-id.ts';
import type { Counters, Metrics } from './observe/metrics.ts';
import { createDurablePipeline } from './pipeline/durable.ts';
import {
  createJournalHook,
  type JournalHook,
  journalingPipeline,
  journalingSink,
  type RecordFateJournal,
} from './pipeline/journal-hook.ts';
import type { Pipeline } from './pipeline/pipeline.ts';

export interface PipelineContext {
  readonly config: TelemetryConfig;
  readonly sink: Sink;
  readonly logger: Logger;
  readonly counters: Counters;
  /** Records the pipeline gives up on go to the journal's `.dropped` side file. */
  readonly journal?: RecordFateJournal;
}

/** What startDaemon's options say about building a stage. */
export interface StageOptions {
  readonly logger: Logger;
  /** Host facts for refilling host-derived headers; re-read on reload. */
  readonly readHostFacts?: (config: TelemetryConfig) => Promise<HostFacts>;
  /** Reads a CFG: override file's server/tidheader/cainfo; without it overrides are ignored (logged). */
  readonly loadOverride?: LoadTarget;
  /** Owner an override file must have (0 = root; tests may pass their own uid). */
  readonly trustedOverrideUid?: number;
  /** Absolute path `config` was loaded from; records whose CFG: names it use the main config quietly. */
  readonly configFile?: string | undefined;
  readonly createSink?: (context: { config: TelemetryConfig; logger: Logger }) => Sink;
  /** Replaces the durable pipeline (pipeline/durable.ts); only tests do, with a stub. */
  readonly createPipeline?: (context: PipelineContext) => Pipeline;
  /** Wall clock for machine-id rotation. */
  readonly now?: () => number;
}

export interface Stage {
  readonly config: TelemetryConfig;
  readonly sink: Sink;
  readonly pipeline: Pipeline;
  /** Shared by consecutive stages while the journal keys stay the same (one writer per file). */
  readonly journal: JournalHook;
  readonly machineId: MachineIdSource;
  readonly hostFacts: HostFacts;
}

/** Counters and metrics live as long as the daemon: a SIGHUP reload must not reset them. */
export interface DaemonLifeState {
  readonly counters: Counters;
  readonly metrics: Metrics;
}

function defaultSink(config: TelemetryConfig, options: StageOptions): Sink {
  const { logger } = options;
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

function sameJournal(a: TelemetryConfig, b: TelemetryConfig): boolean {
  return (
    a.journal_file === b.journal_file &&
    a.record_retention_enabled === b.record_retention_enabled &&
    a.record_retention_dir === b.record_retention_dir
  );
}

function journalFor(config: TelemetryConfig, previous: Stage | undefined, logger: Logger): JournalHook {
  if (previous && sameJournal(previous.config, config)) return previous.journal;
  return createJournalHook({
    journalFile: config.journal_file,
    retentionEnabled: config.record_retention_enabled,
    retentionDir: config.record_retention_dir,
    logger,
  });
}

/** Build the stage for `config`; `previous` lends its journal when the journal keys are unchanged. */
export async function buildStage(
  config: TelemetryConfig,
  options: StageOptions,
  life: DaemonLifeState,
  previous?: Stage,
): Promise<Stage> {
  const { logger } = options;
  const { counters, metrics } = life;
  const machineId = await createMachineIdSource({
    staticFile: config.static_machine_id_file,
    idFile: config.machine_id_file,
    logger,
    ...(options.now ? { now: options.now } : {}),
  });
  const hostFacts = await (options.readHostFacts ?? readDaemonHostFacts)(config);
  const journal = journalFor(config, previous, logger);
  // Every record the server accepts is journaled, whichever path delivered it (BUG-17).
  const sink: Sink = journalingSink(
    withOtlpExport(
      options.createSink ? options.createSink({ config, logger }) : defaultSink(config, options),
      { config, logger, metrics, journal },
    ),
    journal,
  );
  // Durable by default: write-ahead spool, drainer, rate limits (pipeline/durable.ts).
  const pipeline = journalingPipeline(
    options.createPipeline
      ? options.createPipeline({ config, sink, logger, counters, journal })
      : createDurablePipeline({ config, sink, logger, counters, journal, metrics }),
    journal,
    { deliveryEnabled: config.record_server_delivery_enabled },
  );
  return { config, sink, pipeline, machineId, hostFacts, journal };
}

/** Close what `stage` owns; its journal too unless `next` shares it. */
export async function retireStage(stage: Stage, next?: Stage): Promise<void> {
  stage.machineId.close();
  await stage.pipeline.close();
  await stage.sink.close();
  if (next && next.journal !== stage.journal) await stage.journal.close();
}

/** A stage the daemon can use: built and its pipeline ready, or nothing left open. */
export async function buildReadyStage(
  config: TelemetryConfig,
  options: StageOptions,
  life: DaemonLifeState,
): Promise<Stage> {
  const stage = await buildStage(config, options, life);
  try {
    // An unusable spool (cannot be created, not a directory, not writable) is a start-up error:
    // a daemon that accepts records it cannot keep would lose them (TELEMD_SPOOL_DIR).
    await stage.pipeline.ready;
  } catch (error) {
    await closeStage(stage);
    throw error;
  }
  return stage;
}

/** Retire the last stage and its journal (no stage follows it). */
export async function closeStage(stage: Stage): Promise<void> {
  await retireStage(stage);
  await stage.journal.close();
}
