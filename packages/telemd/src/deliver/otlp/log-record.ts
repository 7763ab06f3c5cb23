// One telemetry record as an OTLP log record (the Cortex crash report schema,
// which is OTLP/JSON logs): body = the payload, attributes = the Version-4
// headers, resource = the crash report's resource fields (osName, osVersion,
// architecture, appVersion, service.name, source, cpu, gpus), traceId = the
// event id (both are 16 bytes of hex; the schema requires a traceId). Pure.
import type { TelemRecord } from '../../record.ts';

export interface OtlpLogInput {
  /** [seconds, nanoseconds], OpenTelemetry's HrTime. */
  readonly time: readonly [number, number];
  readonly observedTime: readonly [number, number];
  readonly severityNumber: number;
  readonly severityText: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly resource: Readonly<Record<string, string>>;
  readonly traceId: string;
}

/** Record severity 1 (low) .. 4 (critical) -> OTLP SeverityNumber INFO, WARN, ERROR, FATAL. */
const SEVERITIES: Readonly<Record<string, readonly [number, string]>> = {
  '1': [9, 'INFO'],
  '2': [13, 'WARN'],
  '3': [17, 'ERROR'],
  '4': [21, 'FATAL'],
};

const NODE_PREFIX = 'org.telemetrics/node/';
const NATIVE_CRASH_PREFIX = 'org.clearlinux/crash/';

function stringFields(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || v === null) continue;
    out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

/**
 * The resource: what the headers say of the machine, then for a Node crash
 * report the resource fields it carries (its payload's `resource`), for a
 * native crash the process. Every value a string (gpus as JSON text), so
 * each attribute is the schema's StringValue.
 */
export function resourceFor(record: TelemRecord): Record<string, string> {
  const h = record.headers;
  const base: Record<string, string> = {
    osName: h.system_name,
    osVersion: h.build,
    architecture: h.arch,
    appVersion: 'unknown',
    'service.name': 'unknown_service',
    source: 'telemd',
    cpu: h.cpu_model,
    gpus: '[]',
  };
  const text = record.payload.toString('latin1');
  if (h.classification.startsWith(NODE_PREFIX)) {
    try {
      return { ...base, ...stringFields((JSON.parse(text) as { resource?: unknown }).resource) };
    } catch {
      return base;
    }
  }
  if (h.classification.startsWith(NATIVE_CRASH_PREFIX)) {
    const process = /^Process: (.*)$/m.exec(text)?.[1];
    return { ...base, source: 'crashprobe', ...(process ? { 'service.name': process } : {}) };
  }
  return base;
}

function hrTime(ms: number): [number, number] {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

export function toLogInput(record: TelemRecord, nowMs: number): OtlpLogInput {
  const h = record.headers;
  const [severityNumber, severityText] = SEVERITIES[h.severity] ?? [0, h.severity];
  return {
    time: [Number(h.creation_timestamp), 0],
    observedTime: hrTime(nowMs),
    severityNumber,
    severityText,
    body: record.payload.toString('latin1'),
    attributes: { ...h },
    resource: resourceFor(record),
    traceId: h.event_id,
  };
}
