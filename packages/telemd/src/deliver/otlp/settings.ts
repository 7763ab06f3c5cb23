// Whether and where telemd exports to OpenTelemetry: the otlp_* config keys,
// else the standard OTEL_EXPORTER_OTLP_* variables
// (https://opentelemetry.io/docs/specs/otel/protocol/exporter/), else off.
// A key set to anything but its default wins over the variable. Pure.
import type { TelemetryConfig } from '@telemetrics/libtelemetry/config';
import { DEFAULT_CONFIG } from '@telemetrics/libtelemetry/config';

export type OtlpProtocol = 'http/json' | 'http/protobuf';
export type OtlpCompression = 'none' | 'gzip';

export interface OtlpSettings {
  /** The logs URL requests are POSTed to. */
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly compression: OtlpCompression;
  readonly protocol: OtlpProtocol;
  /** Classification patterns a record must match to be exported; empty = every record. */
  readonly classifications: readonly string[];
}

export type Env = Readonly<Record<string, string | undefined>>;

export type SettingsResult =
  | { readonly enabled: false }
  | { readonly enabled: true; readonly settings: OtlpSettings }
  | { readonly enabled: false; readonly error: string };

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** A key's value unless it is the default; then the first variable set; then the default. */
function pick<K extends keyof TelemetryConfig>(
  config: TelemetryConfig,
  key: K,
  env: Env,
  names: readonly string[],
): TelemetryConfig[K] | string {
  if (config[key] !== DEFAULT_CONFIG[key]) return config[key];
  for (const name of names) {
    const value = nonEmpty(env[name]);
    if (value !== undefined) return value;
  }
  return config[key];
}

/** The logs URL: the key, else OTEL_EXPORTER_OTLP_LOGS_ENDPOINT as is, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/logs. */
function endpoint(config: TelemetryConfig, env: Env): string | undefined {
  const key = nonEmpty(config.otlp_endpoint);
  if (key !== undefined) return key;
  const logs = nonEmpty(env['OTEL_EXPORTER_OTLP_LOGS_ENDPOINT']);
  if (logs !== undefined) return logs;
  const base = nonEmpty(env['OTEL_EXPORTER_OTLP_ENDPOINT']);
  return base === undefined ? undefined : `${base.replace(/\/+$/, '')}/v1/logs`;
}

/** `k1=v1,k2=v2` with percent-encoded values (the OTEL_EXPORTER_OTLP_HEADERS format). */
export function parseOtlpHeaders(text: string): Record<string, string> | string {
  const headers: Record<string, string> = {};
  for (const item of text.split(',')) {
    if (item.trim() === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) return `header "${item.trim()}" is not key=value`;
    const name = item.slice(0, eq).trim();
    let value: string;
    try {
      value = decodeURIComponent(item.slice(eq + 1).trim());
    } catch {
      return `header ${name}: bad percent-encoding`;
    }
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return `header name "${name}" is not a token`;
    if (/[\r\n\0]/.test(value)) return `header ${name}: control characters in the value`;
    headers[name] = value;
  }
  return headers;
}

const LOGS = (suffix: string) => [`OTEL_EXPORTER_OTLP_LOGS_${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`];

export function resolveOtlpSettings(config: TelemetryConfig, env: Env): SettingsResult {
  const where = endpoint(config, env);
  if (where === undefined) return { enabled: false };
  let url: URL;
  try {
    url = new URL(where);
  } catch {
    return { enabled: false, error: `OTLP endpoint ${JSON.stringify(where)} is not a URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { enabled: false, error: `OTLP endpoint scheme ${url.protocol} unsupported (http or https)` };
  }
  const headers = parseOtlpHeaders(String(pick(config, 'otlp_headers', env, LOGS('HEADERS'))));
  if (typeof headers === 'string') return { enabled: false, error: `OTLP headers: ${headers}` };
  const timeout = Number(pick(config, 'otlp_timeout_ms', env, LOGS('TIMEOUT')));
  if (!Number.isInteger(timeout) || timeout <= 0) {
    return { enabled: false, error: 'OTLP timeout must be a positive number of milliseconds' };
  }
  const compression = String(pick(config, 'otlp_compression', env, LOGS('COMPRESSION'))).toLowerCase();
  if (compression !== 'none' && compression !== 'gzip') {
    return { enabled: false, error: `OTLP compression ${compression} unsupported (none or gzip)` };
  }
  const protocol = String(pick(config, 'otlp_protocol', env, LOGS('PROTOCOL'))).toLowerCase();
  if (protocol !== 'http/json' && protocol !== 'http/protobuf') {
    return { enabled: false, error: `OTLP protocol ${protocol} unsupported (http/json or http/protobuf)` };
  }
  const classifications = config.otlp_classifications
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  return {
    enabled: true,
    settings: { url, headers, timeoutMs: timeout, compression, protocol, classifications },
  };
}

/**
 * `a/b/c` exactly; `a/b/*` or `a/b/` every classification starting so; `a/b`
 * or `a` every classification whose leading segments they are; `*` all.
 */
export function classificationSelected(patterns: readonly string[], classification: string): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((p) => {
    if (p === '*') return true;
    if (p.endsWith('*')) return classification.startsWith(p.slice(0, -1));
    if (p.endsWith('/')) return classification.startsWith(p);
    return classification === p || classification.startsWith(`${p}/`);
  });
}
