// The collector's settings: defaults, then the config file, then the command line. The file has
// one `key = value` per line (the long option names without dashes' prefix), `#` comments. [pure]
import { DEFAULT_TID } from './ingest/validate.ts';
import { DEFAULT_PURGE, type PurgeRules, parsePurgeFilters } from './retention.ts';

export interface CollectorConfig {
  readonly host: string;
  readonly port: number;
  readonly db: string;
  readonly tid: string;
  readonly accessToken: string | undefined;
  readonly maxRecordBytes: number;
  readonly maxEventBytes: number;
  readonly purge: PurgeRules;
  readonly logLevel: 'err' | 'warning' | 'notice' | 'info' | 'debug';
}

export const DEFAULTS: CollectorConfig = {
  host: '127.0.0.1',
  port: 8080,
  db: 'sqlite:/var/lib/telemetrics-collector/collector.db',
  tid: DEFAULT_TID,
  accessToken: undefined,
  maxRecordBytes: 16 * 1024 * 1024,
  maxEventBytes: 8 * 1024 * 1024,
  purge: DEFAULT_PURGE,
  logLevel: 'info',
};

/** Every key the file and the command line take (command line: `--key value`). */
export const KEYS = [
  'host',
  'port',
  'db',
  'tid',
  'access-token',
  'max-record-bytes',
  'max-event-bytes',
  'purge-old-records',
  'purge-filtered-records',
  'max-days-keep-unfiltered-records',
  'purge-at',
  'log-level',
] as const;
export type Key = (typeof KEYS)[number];

export class ConfigError extends Error {}

/** `key = value` lines; the keys and their line numbers for errors. */
export function parseConfigFile(text: string, name: string): Map<Key, string> {
  const out = new Map<Key, string>();
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) throw new ConfigError(`${name}:${i + 1}: expected key = value`);
    const key = line.slice(0, eq).trim().replaceAll('_', '-');
    if (!(KEYS as readonly string[]).includes(key))
      throw new ConfigError(`${name}:${i + 1}: unknown key '${key}'`);
    out.set(key as Key, line.slice(eq + 1).trim());
  }
  return out;
}

function positiveInt(key: string, value: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(`invalid ${key} '${value}': expected an integer ${min}..${max}`);
  }
  return Number(value);
}

function bool(key: string, value: string): boolean {
  if (/^(true|yes|1|on)$/i.test(value)) return true;
  if (/^(false|no|0|off)$/i.test(value)) return false;
  throw new ConfigError(`invalid ${key} '${value}': expected true or false`);
}

/** Applies settings (file first, then command line) over the defaults. */
export function resolveConfig(layers: readonly Map<Key, string>[]): CollectorConfig {
  const merged = new Map<Key, string>();
  for (const layer of layers) for (const [k, v] of layer) merged.set(k, v);
  const get = (k: Key): string | undefined => merged.get(k);
  const level = get('log-level') ?? DEFAULTS.logLevel;
  if (!['err', 'warning', 'notice', 'info', 'debug'].includes(level)) {
    throw new ConfigError(`invalid log-level '${level}': expected err, warning, notice, info or debug`);
  }
  const purgeAt = get('purge-at') ?? DEFAULT_PURGE.at;
  if (!/^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(purgeAt))
    throw new ConfigError(`invalid purge-at '${purgeAt}': expected HH:MM`);
  const filters = get('purge-filtered-records');
  return {
    host: get('host') ?? DEFAULTS.host,
    port: get('port') === undefined ? DEFAULTS.port : positiveInt('port', get('port')!, 0, 65535),
    db: get('db') ?? DEFAULTS.db,
    tid: get('tid') ?? DEFAULTS.tid,
    accessToken: get('access-token') || undefined,
    maxRecordBytes:
      get('max-record-bytes') === undefined
        ? DEFAULTS.maxRecordBytes
        : positiveInt('max-record-bytes', get('max-record-bytes')!),
    maxEventBytes:
      get('max-event-bytes') === undefined
        ? DEFAULTS.maxEventBytes
        : positiveInt('max-event-bytes', get('max-event-bytes')!),
    purge: {
      enabled:
        get('purge-old-records') === undefined
          ? DEFAULT_PURGE.enabled
          : bool('purge-old-records', get('purge-old-records')!),
      filtered: filters === undefined ? DEFAULT_PURGE.filtered : parsePurgeFilters(filters),
      unfilteredDays:
        get('max-days-keep-unfiltered-records') === undefined
          ? DEFAULT_PURGE.unfilteredDays
          : positiveInt('max-days-keep-unfiltered-records', get('max-days-keep-unfiltered-records')!, 0),
      at: purgeAt,
    },
    logLevel: level as CollectorConfig['logLevel'],
  };
}
