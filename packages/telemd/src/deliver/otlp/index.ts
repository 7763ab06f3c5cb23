// The hook daemon.ts calls for every stage: the collector's sink as it is
// when OTLP export is off, else a fan-out to the collector and the exporter
// (fanout.ts). Only settings and the fan-out are loaded here; the encoder
// and OpenTelemetry's packages load on the first export (otlp-sink.ts).
import type { TelemetryConfig } from '@telemetrics/libtelemetry/config';
import type { Logger } from '@telemetrics/libtelemetry/log';
import type { RecordFateJournal } from '../../pipeline/journal-hook.ts';
import type { Metrics } from '../../observe/metrics.ts';
import { DEFAULT_BACKOFF } from '../backoff.ts';
import type { Sink } from '../sink.ts';
import { createFanoutSink } from './fanout.ts';
import { createOtlpSink } from './otlp-sink.ts';
import { createOutbox } from './outbox.ts';
import type { OutboxBound } from './outbox-bound.ts';
import { startOutboxDrain } from './outbox-drain.ts';
import { classificationSelected, type Env, resolveOtlpSettings } from './settings.ts';

export function withOtlpExport(
  sink: Sink,
  context: {
    readonly config: TelemetryConfig;
    readonly logger: Logger;
    readonly env?: Env;
    /** Who hears of records the outbox drops (its bounds): counters and the `.dropped` journal. */
    readonly metrics?: Metrics;
    readonly journal?: RecordFateJournal;
  },
): Sink {
  const { config, logger } = context;
  const resolved = resolveOtlpSettings(config, context.env ?? process.env);
  if ('error' in resolved) {
    logger.log('err', 'OTLP export is off: its settings are not usable', { error: resolved.error });
    return sink;
  }
  if (!resolved.enabled) return sink;
  const { settings } = resolved;
  logger.log('info', 'OTLP export on', {
    url: settings.url.href,
    protocol: settings.protocol,
    compression: settings.compression,
    classifications: settings.classifications.join(',') || '*',
  });
  const policy = {
    ...DEFAULT_BACKOFF,
    baseMs: config.delivery_retry_base_ms,
    capMs: Math.max(config.delivery_retry_base_ms, config.delivery_retry_max_ms),
    minMs: Math.min(DEFAULT_BACKOFF.minMs, config.delivery_retry_base_ms),
  };
  const otlp = createOtlpSink({ settings, logger });
  const outbox = createOutbox({
    spoolDir: config.spool_dir,
    logger,
    bound: outboxBound(config),
    metrics: context.metrics,
    journal: context.journal,
  });
  const drain = startOutboxDrain({ outbox, sink: otlp, logger, policy });
  const fanout = createFanoutSink({
    primary: sink,
    targets: [
      {
        name: 'otlp',
        sink: {
          deliver: (record, signal) => otlp.deliver(record, signal),
          close: async () => {
            await drain.close();
            await otlp.close();
          },
        },
        selects: (record) => classificationSelected(settings.classifications, record.headers.classification),
        defer: async (record) => {
          await outbox.put(record);
          drain.kick();
        },
      },
    ],
    logger,
    policy,
  });
  // While the outbox holds records the receiver is retried for, telemd does not exit when idle
  // (daemon.ts); record_expiry bounds how long that can last (docs/otlp.md).
  return { ...fanout, isIdle: () => outbox.isEmpty() && !drain.busy };
}

/** otlp_spool_max_files, otlp_spool_max_size (KiB) and record_expiry (minutes); negative = unlimited. */
export function outboxBound(config: TelemetryConfig): OutboxBound {
  return {
    files: config.otlp_spool_max_files,
    bytes: config.otlp_spool_max_size < 0 ? -1 : config.otlp_spool_max_size * 1024,
    expiryMs: config.record_expiry < 0 ? -1 : config.record_expiry * 60_000,
  };
}
