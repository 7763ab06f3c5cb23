// Builds the durable pipeline from the config for daemon.ts: store (opened
// lazily: createPipeline is synchronous), quarantine, limiter, drainer (its
// first pass at start delivers files left by a crash or by the C daemons),
// metrics and the status file. close() finishes in-flight attempts, stops the
// drainer and writes the status file one last time.
import type { TelemetryConfig } from '@telemetrics/libtelemetry/config';
import type { Logger } from '@telemetrics/libtelemetry/log';
import { DEFAULT_BACKOFF } from '../deliver/backoff.ts';
import type { Sink } from '../deliver/sink.ts';
import { createLimiter } from './limiter.ts';
import { type Counters, createMetrics, createStatusWriter, type Metrics } from '../observe/metrics.ts';
import type { RecordFateJournal } from './journal-hook.ts';
import type { Pipeline, PipelineSummary } from './pipeline.ts';
import type { TelemRecord } from '../record.ts';
import { createDrainer, type Drainer } from './drain.ts';
import { createQuarantine } from './quarantine.ts';
import { checkSpoolAccess, spoolDirError } from '../spool/spool-dir.ts';
import { createSpoolPipeline, type SpoolPipeline } from './accept.ts';
import { createSpoolStore, type SpoolStore } from '../spool/store.ts';
import { monotonicMs } from '../observe/clock.ts';

export interface DurablePipelineContext {
  readonly config: TelemetryConfig;
  readonly sink: Sink;
  readonly logger: Logger;
  /** The daemon's intake counters (rejected frames go into the status file). */
  readonly counters?: Counters;
  /** Journals dropped and quarantined records (pipeline/journal-hook.ts). */
  readonly journal?: RecordFateJournal | undefined;
  /** The daemon's, shared by the pipelines of successive reloads so counters survive SIGHUP. */
  readonly metrics?: Metrics;
}

export interface DurablePipeline extends Pipeline {
  readonly metrics: Metrics;
  readonly store: SpoolStore;
  readonly drainer: Drainer;
  /**
   * Resolves once the spool is open and the start-up pass has been scheduled; rejects with
   * TELEMD_SPOOL_DIR when the directory cannot be created, is not a directory or is not writable.
   */
  readonly ready: Promise<void>;
  isIdle(): boolean;
  idle(): Promise<void>;
  summary(): PipelineSummary;
}

/** Throws TELEM_CONFIG_VALUE for invalid rate-limit windows: a start-up error, not a crash loop (BUG-21). */
export function createDurablePipeline(context: DurablePipelineContext): DurablePipeline {
  const { config, sink, logger } = context;
  const metrics = context.metrics ?? createMetrics();
  const maxBytes = config.spool_max_size < 0 ? -1 : config.spool_max_size * 1024;
  const uid = process.getuid?.() ?? 0;
  const store = createSpoolStore({ dir: config.spool_dir, maxBytes, uid, logger });
  const quarantine = createQuarantine({ spoolDir: config.spool_dir, logger });
  const limiter = createLimiter(config, monotonicMs);
  const strategy = config.rate_limit_strategy === 'drop' ? 'drop' : 'spool';
  const drainer = createDrainer({
    store,
    quarantine,
    sink,
    limiter,
    metrics,
    logger,
    strategy,
    deliveryEnabled: config.record_server_delivery_enabled,
    journal: context.journal,
    recordExpiryMinutes: config.record_expiry,
    processTimeMs: config.spool_process_time * 1000,
    backoff: {
      ...DEFAULT_BACKOFF,
      baseMs: config.delivery_retry_base_ms,
      capMs: Math.max(config.delivery_retry_base_ms, config.delivery_retry_max_ms),
      minMs: Math.min(DEFAULT_BACKOFF.minMs, config.delivery_retry_base_ms),
    },
  });
  const inner: SpoolPipeline = createSpoolPipeline({
    store,
    sink,
    limiter,
    drainer,
    quarantine,
    logger,
    metrics,
    deliveryEnabled: config.record_server_delivery_enabled,
    strategy,
    journal: context.journal,
  });
  const status = createStatusWriter({
    file: config.status_file,
    logger,
    render: () => {
      const doc = metrics.snapshot(process.pid, { bytes: store.bytes, files: store.files, maxBytes });
      const rejected = context.counters?.rejected;
      return rejected === undefined ? doc : { ...doc, counters: { ...doc.counters, rejected } };
    },
  });
  const ready = (async () => {
    let tempsRemoved: number;
    let tempsRecovered: number;
    try {
      ({ tempsRemoved, tempsRecovered } = await store.open());
      // open() created and listed it; records also need write and search access.
      checkSpoolAccess(config.spool_dir);
    } catch (error) {
      throw spoolDirError(config.spool_dir, error as NodeJS.ErrnoException);
    }
    if (tempsRecovered > 0) {
      logger.log('notice', 'recovered complete records from temp files left by an interrupted write', {
        path: config.spool_dir,
        count: tempsRecovered,
      });
    }
    if (tempsRemoved > 0) {
      logger.log('notice', 'removed incomplete temp files left by an interrupted write', {
        path: config.spool_dir,
        count: tempsRemoved,
      });
    }
    if (store.files > 0) {
      logger.log('info', 'spool has records from an earlier run; delivering', {
        path: config.spool_dir,
        files: store.files,
        bytes: store.bytes,
      });
    }
    // Only now: a pipeline whose spool is unusable never owns the status file (the metrics
    // may be the daemon's, shared with the running pipeline a failed reload leaves in place).
    metrics.onChange = () => status.schedule();
    drainer.start();
    status.schedule();
  })();
  const opened = ready.then(
    () => true,
    () => false,
  );
  // daemon.ts awaits `ready`: at start an unusable spool stops telemd (exit 1), on reload the
  // old configuration is kept; each logs the error once. Not an unhandled rejection here.
  ready.catch(() => {});

  let closing: Promise<void> | undefined;
  return {
    metrics,
    store,
    drainer,
    ready,
    async accept(record: TelemRecord) {
      await ready.catch(() => {});
      return inner.accept(record);
    },
    isIdle: () => inner.isIdle(),
    idle: () => inner.idle(),
    summary() {
      const c = metrics.snapshot(process.pid, { bytes: store.bytes, files: store.files, maxBytes }).counters;
      const dropped = Object.entries(c.dropped).filter(([, n]) => n > 0);
      return {
        delivered: c.delivered,
        spooled: c.spooled,
        retried: c.retried,
        dropped: dropped.reduce((sum, [, n]) => sum + n, 0),
        ...Object.fromEntries(dropped.map(([reason, n]) => [`dropped_${reason}`, n])),
        expired: c.expired,
        quarantined: c.quarantined,
        // Still spooled: delivered by the next run.
        in_spool: store.files,
      };
    },
    close() {
      closing ??= (async () => {
        const wasOpen = await opened;
        await inner.close();
        await drainer.close();
        await store.close();
        // A pipeline that never opened its spool did nothing worth a status file.
        if (wasOpen) await status.close();
      })();
      return closing;
    },
  };
}
