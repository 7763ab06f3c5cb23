// Event bodies from any program: newline-delimited JSON (the anacrolix/telemetry seed) and
// OTLP/HTTP JSON logs (opentelemetry-proto's ExportLogsServiceRequest). Both are parsed whole
// before anything is stored, so a request is stored entirely or not at all. [pure]

export type Parsed<T> = { readonly items: readonly T[] } | { readonly message: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One JSON value per line; blank lines are skipped; each event is stored as its compact JSON. */
export function parseNdjson(body: Uint8Array, maxEvents: number): Parsed<string> {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { message: 'body is not valid UTF-8' };
  }
  const items: string[] = [];
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return { message: `line ${i + 1} is not valid JSON` };
    }
    if (items.length >= maxEvents) return { message: `a request holds at most ${maxEvents} events` };
    items.push(JSON.stringify(value));
  }
  return { items };
}

export interface LogRecordRow {
  readonly timeUnixNano: string | null;
  readonly severityNumber: number | null;
  readonly severityText: string | null;
  readonly serviceName: string | null;
  /** The body as text: a string body as is, any other AnyValue as JSON. */
  readonly body: string | null;
  /** The log record with its resource and scope, as JSON. */
  readonly record: string;
}

type AnyValue = Record<string, unknown>;
interface KeyValue {
  key?: unknown;
  value?: AnyValue;
}

function anyValueText(value: AnyValue | undefined): string | null {
  if (value === undefined || value === null || typeof value !== 'object') return null;
  if (typeof value['stringValue'] === 'string') return value['stringValue'];
  return JSON.stringify(value);
}

function attribute(attrs: unknown, key: string): string | null {
  if (!Array.isArray(attrs)) return null;
  const kv = (attrs as KeyValue[]).find((a) => a?.key === key);
  return kv ? anyValueText(kv.value) : null;
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The log records of an OTLP/HTTP JSON ExportLogsServiceRequest. */
export function parseOtlpLogs(body: Uint8Array, maxRecords: number): Parsed<LogRecordRow> {
  let request: unknown;
  try {
    request = JSON.parse(utf8.decode(body));
  } catch {
    return { message: 'body is not valid JSON' };
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    return { message: 'body is not an ExportLogsServiceRequest object' };
  }
  const items: LogRecordRow[] = [];
  for (const rl of asArray((request as { resourceLogs?: unknown }).resourceLogs)) {
    const resource = (rl as { resource?: { attributes?: unknown } } | null)?.resource;
    const serviceName = attribute(resource?.attributes, 'service.name');
    for (const sl of asArray((rl as { scopeLogs?: unknown } | null)?.scopeLogs)) {
      const scope = (sl as { scope?: unknown } | null)?.scope ?? null;
      for (const lr of asArray((sl as { logRecords?: unknown } | null)?.logRecords)) {
        if (typeof lr !== 'object' || lr === null) return { message: 'a logRecord is not an object' };
        if (items.length >= maxRecords)
          return { message: `a request holds at most ${maxRecords} log records` };
        const r = lr as Record<string, unknown>;
        const time = r['timeUnixNano'] ?? r['observedTimeUnixNano'];
        const severity = Number(r['severityNumber']);
        items.push({
          timeUnixNano: typeof time === 'string' || typeof time === 'number' ? String(time) : null,
          severityNumber: Number.isInteger(severity) ? severity : null,
          severityText: typeof r['severityText'] === 'string' ? (r['severityText'] as string) : null,
          serviceName,
          body: anyValueText(r['body'] as AnyValue | undefined),
          record: JSON.stringify({ resource: resource ?? null, scope, logRecord: r }),
        });
      }
    }
  }
  return { items };
}
