// The hook daemon.ts calls for every stage: the collector's sink as it is
// when OTLP export is off, else a fan-out to the collector and the exporter
// (fanout.ts). Only settings and the fan-out are loaded here; the encoder
// and OpenTelemetry's packages load on the first export (otlp-sink.ts).
import type { TelemetryConfig } from '@telemetrics/libtelemetry/config';
import type { Logger } from '@telemetrics/libtelemetry/log';
import { DEFAULT_BACKOFF } from '../backoff.ts';
import type { Sink } from '../sink.ts';
import { createFanoutSink } from './fanout.ts';
import { createOtlpSink } from './otlp-sink.ts';
import { createOutbox } from './outbox.ts';
import { startOutboxDrain } from './outbox-drain.ts';
import { classificationSelected, type Env, resolveOtlpSettings } from './settings.ts';

export function withOtlpExport(
  sink: Sink,
  context: { readonly config: TelemetryConfig; readonly logger: Logger; readonly env?: Env },
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
  const outbox = createOutbox(config.spool_dir, logger);
  const drain = startOutboxDrain({ outbox, sink: otlp, logger, policy });
  return createFanoutSink({
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
}
