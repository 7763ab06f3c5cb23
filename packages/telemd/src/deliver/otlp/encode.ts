// OTLP request bodies, by OpenTelemetry's own serializers
// (@opentelemetry/otlp-transformer: JSON and protobuf). Loaded by otlp-sink.ts
// on the first export only, so telemd without export never reads it.
// The serializers take the SDK's ReadableLogRecord; these records carry the
// fields the serializers read, with resources and the scope interned so that
// records of one resource share one resourceLogs entry.
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { OtlpLogInput } from './log-record.ts';
import type { OtlpProtocol } from './settings.ts';

type Serializable = Parameters<typeof JsonLogsSerializer.serializeRequest>[0];

export const SCOPE = { name: 'telemetrics.telemd', version: '1' } as const;

export function encodeLogs(inputs: readonly OtlpLogInput[], protocol: OtlpProtocol): Uint8Array {
  const resources = new Map<string, { attributes: Readonly<Record<string, string>> }>();
  const scope = { ...SCOPE };
  const records = inputs.map((input) => {
    const key = JSON.stringify(input.resource);
    let resource = resources.get(key);
    if (resource === undefined) {
      resource = { attributes: input.resource };
      resources.set(key, resource);
    }
    return {
      hrTime: input.time,
      hrTimeObserved: input.observedTime,
      severityNumber: input.severityNumber,
      severityText: input.severityText,
      body: input.body,
      attributes: input.attributes,
      droppedAttributesCount: 0,
      resource,
      instrumentationScope: scope,
      // No span: the trace id is the record's event id, the span id is left out.
      spanContext: { traceId: input.traceId, spanId: undefined, traceFlags: 0 },
    };
  });
  const serializer = protocol === 'http/protobuf' ? ProtobufLogsSerializer : JsonLogsSerializer;
  return serializer.serializeRequest(records as unknown as Serializable) as Uint8Array;
}
