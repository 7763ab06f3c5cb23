// The configuration key table: one row per key with its type, default (from
// DEFAULT_CONFIG, the C values of spec c-client.md 9.1), value check and a
// one-line doc. It drives parsing, the shipped etc/telemetrics.conf, the table of
// docs/configuration.md and man/telemetrics.conf.5 (both from scripts/gen-docs.mjs). To add a
// key: add it to TelemetryConfig and DEFAULT_CONFIG in types.ts, then one row here (keys.test.ts
// checks the three agree), then run node scripts/gen-docs.mjs. Pure.
import { DEFAULT_CONFIG, type RateLimitStrategy, type ServerApi, type TelemetryConfig } from './types.ts';

export type ConfigKeyName = keyof TelemetryConfig;
export type ConfigValueType = 'string' | 'integer' | 'boolean' | 'enum';

/** Outcome of checking one raw (already unescaped) value. */
export type ValueResult<T> =
  | { readonly ok: true; readonly value: T; readonly warning?: string }
  | { readonly ok: false; readonly reason: string };

export interface ConfigKey<K extends ConfigKeyName = ConfigKeyName> {
  readonly key: K;
  readonly type: ConfigValueType;
  readonly default: TelemetryConfig[K];
  readonly doc: string;
  /** Accepted values for enum keys (documentation and --help). */
  readonly values?: readonly string[];
  readonly parse: (raw: string) => ValueResult<TelemetryConfig[K]>;
}

/** A row of the table, whatever its key. */
export type AnyConfigKey = { [K in ConfigKeyName]: ConfigKey<K> }[ConfigKeyName];

// C's LONG_MAX (x86_64): the clamps of 9.1 are written in terms of it.
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/**
 * Strict decimal integer, as strtoll would read a clean value; unlike C
 * (`abc` -> 0, `12abc` -> 12, BUG-35) anything else is an error. Out of the
 * int64 range is an error in C too (ERANGE).
 */
export function parseStrictInteger(raw: string): ValueResult<bigint> {
  if (!/^[+-]?[0-9]+$/.test(raw)) return { ok: false, reason: `"${raw}" is not an integer` };
  const value = BigInt(raw);
  if (value > INT64_MAX || value < INT64_MIN) {
    return { ok: false, reason: `${raw} is out of the 64-bit integer range` };
  }
  return { ok: true, value };
}

function toNumber(value: bigint): number {
  // Clamps of 9.1 can exceed 2^53; such values mean "practically unlimited".
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (value < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(value);
}

function row<K extends ConfigKeyName>(
  key: K,
  type: ConfigValueType,
  doc: string,
  parse: (raw: string) => ValueResult<TelemetryConfig[K]>,
  values?: readonly string[],
): ConfigKey<K> {
  const base = { key, type, default: DEFAULT_CONFIG[key], doc, parse };
  return values === undefined ? base : { ...base, values };
}

function stringKey<K extends ConfigKeyName>(key: K, doc: string): ConfigKey<K> {
  return row(key, 'string', doc, (raw) => ({ ok: true, value: raw as TelemetryConfig[K] }));
}

function booleanKey<K extends ConfigKeyName>(key: K, doc: string): ConfigKey<K> {
  return row(key, 'boolean', doc, (raw) => {
    // C: case-insensitive true/false, or exactly 1/0 (read_config_from_file()).
    const lower = raw.toLowerCase();
    if (lower === 'true' || raw === '1') return { ok: true, value: true as TelemetryConfig[K] };
    if (lower === 'false' || raw === '0') return { ok: true, value: false as TelemetryConfig[K] };
    return { ok: false, reason: `requires a boolean value (true, false, 1 or 0), got "${raw}"` };
  });
}

function integerKey<K extends ConfigKeyName>(
  key: K,
  doc: string,
  normalise: (value: bigint) => ValueResult<bigint>,
): ConfigKey<K> {
  return row(key, 'integer', doc, (raw) => {
    const parsed = parseStrictInteger(raw);
    if (!parsed.ok) return parsed;
    const checked = normalise(parsed.value);
    if (!checked.ok) return checked;
    const value = toNumber(checked.value) as TelemetryConfig[K];
    return checked.warning === undefined
      ? { ok: true, value }
      : { ok: true, value, warning: checked.warning };
  });
}

/** A clamped value is used, and said once at load with the value used (C clamps silently). */
function clamped(
  v: bigint,
  used: bigint,
  bound: 'above the maximum' | 'below the minimum',
): ValueResult<bigint> {
  return { ok: true, value: used, warning: `${v} is ${bound}, using ${used}` };
}

/** `> max` clamps to max, `< 0` becomes -1 (record_expiry, spool_max_size). */
function clampOrUnlimited(max: bigint) {
  return (v: bigint): ValueResult<bigint> =>
    v > max ? clamped(v, max, 'above the maximum') : { ok: true, value: v < 0n ? -1n : v };
}

function clampRange(min: bigint, max: bigint) {
  return (v: bigint): ValueResult<bigint> =>
    v < min
      ? clamped(v, min, 'below the minimum')
      : v > max
        ? clamped(v, max, 'above the maximum')
        : { ok: true, value: v };
}

/**
 * The collector URL: http or https, a host, a path. C accepted anything and failed at every
 * delivery; here a URL that can never work is a start-up error naming file:line. A URL without
 * a path (`http://host`) posts to `/`, as curl does for C, and the collector serves the v2 API
 * there, so it is taken as `/` (C's own test configs use it); a wrong path is a 404 at run time.
 */
export function checkServerUrl(raw: string): ValueResult<string> {
  const expected = 'expected http://host/path or https://host/path, e.g. https://host/v2/collector';
  if (!URL.canParse(raw)) return { ok: false, reason: `"${raw}" is not a URL (${expected})` };
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, reason: `scheme "${url.protocol}" is not supported (${expected})` };
  if (url.hostname === '') return { ok: false, reason: `"${raw}" names no host (${expected})` };
  if (url.username !== '' || url.password !== '')
    return { ok: false, reason: `"${raw}" has credentials; telemd sends none (${expected})` };
  return { ok: true, value: raw };
}

/** Windows index a 60-slot minute array; C exits on the first record otherwise (BUG-21). */
function windowMinutes(v: bigint): ValueResult<bigint> {
  if (v < 0n || v > 59n) return { ok: false, reason: `must be 0..59 minutes, got ${v}` };
  return { ok: true, value: v };
}

/** telemd limits and timeouts: a value below `min` is an error (0 would disable a safety bound). */
function positiveAtLeast(min: bigint) {
  return (v: bigint): ValueResult<bigint> =>
    v < min ? { ok: false, reason: `must be at least ${min}, got ${v}` } : { ok: true, value: v };
}

/** Any negative limit disables it; normalised to -1. */
function negativeDisables(v: bigint): ValueResult<bigint> {
  return { ok: true, value: v < 0n ? -1n : v };
}

export const CONFIG_KEYS: readonly AnyConfigKey[] = [
  // --- the 17 C keys, in the order of the C configuration.h ---
  row('server', 'string', 'URL of the collector records are posted to', checkServerUrl),
  stringKey('socket_path', 'Unix socket probes send records to (telemd listens on it)'),
  stringKey('spool_dir', 'Directory holding records not yet delivered'),
  row(
    'rate_limit_strategy',
    'enum',
    'What to do with a record over the rate limit: spool (keep for later) or drop',
    (raw): ValueResult<RateLimitStrategy> => {
      const lower = raw.toLowerCase();
      if (lower === 'spool' || lower === 'drop') return { ok: true, value: lower };
      // C falls back to spool silently; we keep the fallback but say so.
      return { ok: true, value: 'spool', warning: `unknown rate_limit_strategy "${raw}", using spool` };
    },
    ['spool', 'drop'],
  ),
  stringKey('cainfo', 'CA bundle file for an HTTPS collector; empty = system CAs'),
  stringKey('tidheader', 'HTTP header line identifying the telemetry target, sent verbatim'),
  integerKey(
    'record_expiry',
    'Minutes an undelivered record is kept before it is deleted; negative = never',
    clampOrUnlimited(INT64_MAX / 60n),
  ),
  integerKey(
    'spool_max_size',
    'Spool size cap in KiB; negative = unlimited',
    clampOrUnlimited(INT64_MAX / 1024n),
  ),
  integerKey(
    'spool_process_time',
    'Seconds between spool delivery runs, clamped to 120..300',
    clampRange(120n, 300n),
  ),
  integerKey(
    'record_window_length',
    'Rate-limit window for the record count, in minutes (0..59)',
    windowMinutes,
  ),
  integerKey('byte_window_length', 'Rate-limit window for the byte count, in minutes (0..59)', windowMinutes),
  integerKey(
    'record_burst_limit',
    'Records allowed per record window; negative disables the limit',
    negativeDisables,
  ),
  integerKey(
    'byte_burst_limit',
    'Bytes allowed per byte window; negative disables the limit',
    negativeDisables,
  ),
  booleanKey('rate_limit_enabled', 'Apply the record and byte rate limits'),
  booleanKey('daemon_recycling_enabled', 'Let the daemon exit when idle (socket activation restarts it)'),
  booleanKey('record_retention_enabled', 'Keep a local copy of every delivered payload'),
  booleanKey('record_server_delivery_enabled', 'Deliver records to the server (false = local journal only)'),
  // --- paths the C code hard-codes ---
  stringKey('opt_in_file', 'Marker file: records are sent only while it exists'),
  stringKey('static_machine_id_file', 'If present, its first line replaces the rotating machine id'),
  stringKey('machine_id_file', 'Rotating machine id (regenerated when older than 3 days)'),
  stringKey('journal_file', 'Local journal of delivered records'),
  stringKey('record_retention_dir', 'Directory of retained payloads (record_retention_enabled)'),
  stringKey(
    'privacy_filters_override_file',
    'Marker file: probes skip their privacy filters while it exists',
  ),
  // --- ours ---
  row(
    'server_api',
    'enum',
    'Collector API: v2 (headers + raw body), v3 (JSON), or auto (v3 if the server path ends in /v3/collector)',
    (raw): ValueResult<ServerApi | 'auto'> => {
      const lower = raw.toLowerCase();
      if (lower === 'v2' || lower === 'v3' || lower === 'auto') return { ok: true, value: lower };
      return { ok: false, reason: `must be v2, v3 or auto, got "${raw}"` };
    },
    ['v2', 'v3', 'auto'],
  ),
  stringKey('host_root', 'Root directory host facts (DMI, cpuinfo, os-release) are read under'),
  // telemd
  integerKey(
    'intake_read_timeout_ms',
    'telemd: milliseconds a probe connection has to deliver its whole frame',
    positiveAtLeast(1n),
  ),
  integerKey(
    'intake_max_connections',
    'telemd: open probe connections beyond this are closed at accept (and logged)',
    positiveAtLeast(1n),
  ),
  integerKey(
    'idle_exit_seconds',
    'telemd: with daemon_recycling_enabled, exit after this many seconds without work',
    positiveAtLeast(1n),
  ),
  integerKey(
    'delivery_connect_timeout_ms',
    'telemd: HTTP connect timeout in milliseconds (C: 5 s)',
    positiveAtLeast(1n),
  ),
  integerKey(
    'delivery_timeout_ms',
    'telemd: answer timeout per request in milliseconds, counted from the write (C: 10 s in total)',
    positiveAtLeast(1n),
  ),
  integerKey(
    'delivery_connections',
    'telemd: concurrent HTTP connections per collector',
    positiveAtLeast(1n),
  ),
  // spool
  stringKey(
    'status_file',
    'JSON status telemd writes (counters, spool usage, last delivery error) for telemctl status',
  ),
  integerKey(
    'delivery_retry_base_ms',
    'First retry ceiling after a failed delivery, ms (full jitter, doubling per failure)',
    positiveAtLeast(1n),
  ),
  integerKey(
    'delivery_retry_max_ms',
    'Largest retry ceiling after repeated failed deliveries, ms',
    positiveAtLeast(1n),
  ),
  // crashprobe
  stringKey('crashprobe_user', 'User crashprobe drops to before reading a core (as root; nobody if missing)'),
  integerKey(
    'crashprobe_time_budget',
    'Seconds crashprobe may spend on one core before it sends what it has, with a note',
    positiveAtLeast(1n),
  ),
  // Node crash reports
  stringKey(
    'crash_dir',
    'Crash reports of Node programs wait here when telemd cannot be reached; telemd drains it',
  ),
  // OpenTelemetry export
  stringKey(
    'otlp_endpoint',
    'telemd: also export records as OTLP logs to this URL (else OTEL_EXPORTER_OTLP_ENDPOINT)',
  ),
  stringKey('otlp_headers', 'telemd: OTLP request headers, k=v,k2=v2 (else OTEL_EXPORTER_OTLP_HEADERS)'),
  integerKey(
    'otlp_timeout_ms',
    'telemd: OTLP request timeout, ms (else OTEL_EXPORTER_OTLP_TIMEOUT)',
    positiveAtLeast(1n),
  ),
  row(
    'otlp_compression',
    'enum',
    'telemd: OTLP request compression (else OTEL_EXPORTER_OTLP_COMPRESSION)',
    (raw): ValueResult<'none' | 'gzip'> => {
      const lower = raw.toLowerCase();
      if (lower === 'none' || lower === 'gzip') return { ok: true, value: lower };
      return { ok: false, reason: `must be none or gzip, got "${raw}"` };
    },
    ['none', 'gzip'],
  ),
  row(
    'otlp_protocol',
    'string',
    'telemd: OTLP encoding, http/json or http/protobuf (else OTEL_EXPORTER_OTLP_PROTOCOL)',
    (raw): ValueResult<'http/json' | 'http/protobuf'> => {
      const lower = raw.toLowerCase();
      if (lower === 'http/json' || lower === 'http/protobuf') return { ok: true, value: lower };
      return { ok: false, reason: `must be http/json or http/protobuf, got "${raw}"` };
    },
  ),
  stringKey(
    'otlp_classifications',
    'telemd: export only these classifications (comma-separated, a/b/* prefixes); empty = all',
  ),
  integerKey(
    'otlp_spool_max_files',
    'telemd: records kept for a down OTLP receiver at most (oldest evicted); negative = unlimited',
    clampOrUnlimited(INT64_MAX),
  ),
  integerKey(
    'otlp_spool_max_size',
    'telemd: KiB kept for a down OTLP receiver at most (oldest evicted); negative = unlimited',
    clampOrUnlimited(INT64_MAX / 1024n),
  ),
];

const BY_NAME: ReadonlyMap<string, AnyConfigKey> = new Map(CONFIG_KEYS.map((k) => [k.key, k]));

export function findConfigKey(name: string): AnyConfigKey | undefined {
  return BY_NAME.get(name);
}

/** Render a value the way the config file writes it (before escaping). */
export function formatConfigValue(value: TelemetryConfig[ConfigKeyName]): string {
  return typeof value === 'boolean' ? (value ? 'true' : 'false') : String(value);
}
