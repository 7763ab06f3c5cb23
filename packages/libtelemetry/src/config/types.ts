// The configuration every tool shares. C's 17 keys keep their names, units and
// defaults (spec c-client.md 9.1); every path C hard-codes is a key too, with
// the C path as default. The key table in keys.ts drives parsing, the shipped
// etc/telemetrics.conf and --help; this file is the typed result.

export type ServerApi = 'v2' | 'v3';
export type RateLimitStrategy = 'spool' | 'drop';

export interface TelemetryConfig {
  // --- C keys (section [settings]) ---
  readonly server: string;
  readonly socket_path: string;
  readonly spool_dir: string;
  readonly rate_limit_strategy: RateLimitStrategy;
  readonly cainfo: string;
  /** A full HTTP header line, sent verbatim (`X-Telemetry-TID: <uuid>`). */
  readonly tidheader: string;
  /** Minutes; -1 = never expire. */
  readonly record_expiry: number;
  /** KiB; -1 = unlimited. */
  readonly spool_max_size: number;
  /** Seconds, clamped to 120..300 like C. */
  readonly spool_process_time: number;
  /** Minutes, 0..59. */
  readonly record_window_length: number;
  /** Minutes, 0..59. */
  readonly byte_window_length: number;
  /** -1 (any negative) disables. */
  readonly record_burst_limit: number;
  /** -1 (any negative) disables. */
  readonly byte_burst_limit: number;
  readonly rate_limit_enabled: boolean;
  readonly daemon_recycling_enabled: boolean;
  readonly record_retention_enabled: boolean;
  readonly record_server_delivery_enabled: boolean;
  // --- paths C hard-codes ---
  readonly opt_in_file: string;
  readonly static_machine_id_file: string;
  readonly machine_id_file: string;
  readonly journal_file: string;
  readonly record_retention_dir: string;
  readonly privacy_filters_override_file: string;
  // --- ours ---
  /** Wire API; `auto` picks v3 when the server URL path ends in /v3/collector. */
  readonly server_api: ServerApi | 'auto';
  /** Root the host facts (DMI, cpuinfo, os-release) are read under; tests fake a machine with it. */
  readonly host_root: string;
  // telemd
  /** Whole-frame read deadline per probe connection, ms (C had none that worked, BUG-2/3). */
  readonly intake_read_timeout_ms: number;
  /** Open probe connections beyond this are closed at accept and logged. */
  readonly intake_max_connections: number;
  /** With daemon_recycling_enabled: exit after this many idle seconds (C: 300, TM_DAEMON_EXIT_TIME). */
  readonly idle_exit_seconds: number;
  /** HTTP connect timeout, ms (C: CURLOPT_CONNECTTIMEOUT 5 s). */
  readonly delivery_connect_timeout_ms: number;
  /** HTTP total timeout per POST, ms (C: CURLOPT_TIMEOUT 10 s). */
  readonly delivery_timeout_ms: number;
  /** Concurrent HTTP connections per collector origin. */
  readonly delivery_connections: number;
  // spool
  /** JSON status (counters, spool usage, last delivery error) telemd writes for `telemctl status`. */
  readonly status_file: string;
  /** Retry backoff after a failed delivery: full jitter, ceiling doubling from base to max, ms. */
  readonly delivery_retry_base_ms: number;
  readonly delivery_retry_max_ms: number;
  // crashprobe
  /** User crashprobe drops to when started as root by the kernel. */
  readonly crashprobe_user: string;
  /** Seconds for one core before crashprobe sends what it has. */
  readonly crashprobe_time_budget: number;
  // Node crash reports (libtelemetry installCrashReporter)
  /** Where a crash report waits when telemd cannot be reached; telemd drains it. */
  readonly crash_dir: string;
  // OpenTelemetry export (telemd); empty/default values defer to OTEL_EXPORTER_OTLP_* variables
  /** OTLP/HTTP logs URL (http://host:4318/v1/logs); empty = OTEL_EXPORTER_OTLP_(LOGS_)ENDPOINT, else off. */
  readonly otlp_endpoint: string;
  /** `k=v,k2=v2`, percent-encoded values, as OTEL_EXPORTER_OTLP_HEADERS. */
  readonly otlp_headers: string;
  readonly otlp_timeout_ms: number;
  readonly otlp_compression: 'none' | 'gzip';
  readonly otlp_protocol: 'http/json' | 'http/protobuf';
  /** Comma-separated classification patterns to export; empty = every record. */
  readonly otlp_classifications: string;
  /** Records the OTLP outbox (`<spool_dir>/.otlp/`) keeps at most; negative = unlimited. */
  readonly otlp_spool_max_files: number;
  /** The OTLP outbox's size cap in KiB; negative = unlimited. */
  readonly otlp_spool_max_size: number;
}

export const DEFAULT_TID = '6907c830-eed9-4ce9-81ae-76daf8d88f0f';

export const DEFAULT_CONFIG: TelemetryConfig = Object.freeze({
  server: 'https://clr.telemetry.intel.com/v3/collector',
  socket_path: '/run/telem-0',
  spool_dir: '/var/spool/telemetry',
  rate_limit_strategy: 'spool',
  cainfo: '',
  tidheader: `X-Telemetry-TID: ${DEFAULT_TID}`,
  record_expiry: 1200,
  spool_max_size: 5120,
  spool_process_time: 120,
  record_window_length: 15,
  byte_window_length: 20,
  record_burst_limit: 1000,
  byte_burst_limit: -1,
  rate_limit_enabled: true,
  daemon_recycling_enabled: true,
  record_retention_enabled: false,
  record_server_delivery_enabled: true,
  opt_in_file: '/etc/telemetrics/opt-in',
  static_machine_id_file: '/etc/telemetrics/opt-in-static-machine-id',
  machine_id_file: '/var/lib/telemetry/machine_id',
  journal_file: '/var/log/telemetry/journal',
  record_retention_dir: '/var/log/telemetry/records',
  privacy_filters_override_file: '/etc/telemetrics/opt-in-no-privacy-filters',
  server_api: 'auto',
  host_root: '/',
  // telemd
  intake_read_timeout_ms: 10_000,
  intake_max_connections: 1024,
  idle_exit_seconds: 300,
  delivery_connect_timeout_ms: 5000,
  delivery_timeout_ms: 10_000,
  delivery_connections: 4,
  // spool
  status_file: '/var/lib/telemetry/telemd-status.json',
  delivery_retry_base_ms: 5000,
  delivery_retry_max_ms: 1_800_000,
  // crashprobe
  crashprobe_user: 'telemetry',
  crashprobe_time_budget: 30,
  // Node crash reports
  crash_dir: '/var/spool/telemetry-crash',
  // OpenTelemetry export
  otlp_endpoint: '',
  otlp_headers: '',
  otlp_timeout_ms: 10_000,
  otlp_compression: 'none',
  otlp_protocol: 'http/json',
  otlp_classifications: '',
  otlp_spool_max_files: 10_000,
  otlp_spool_max_size: 5120,
});

/** The C config lookup order (spec 9.2), after an explicit -f file. */
export const CONFIG_SEARCH_PATHS = [
  '/etc/telemetrics/telemetrics.conf',
  '/usr/share/defaults/telemetrics/telemetrics.conf',
] as const;
