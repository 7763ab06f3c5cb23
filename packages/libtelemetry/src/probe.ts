// The one-call path for probe authors: config (C lookup order, or an explicit
// file that also goes into the frame as CFG:), host facts under host_root,
// the real clock and randomness, then one send. The building blocks
// (createRecord, readHostFacts, sendRecord) stay available for anything else.
import { randomBytes } from './random.ts';
import { loadConfig } from './config/load.ts';
import type { TelemetryConfig } from './config/types.ts';
import { readHostFacts } from './host-facts.ts';
import { type CreateRecordOptions, createRecord, type TelemetryRecord } from './record.ts';
import { checkConfigFilePath, sendRecord } from './send.ts';

export interface ProbeConfig {
  readonly config: TelemetryConfig;
  /** Set when an explicit file was given: every frame then carries `CFG:<path>`. */
  readonly cfgPath: string | undefined;
  /** The file read, or null for the built-in defaults. */
  readonly path: string | null;
  readonly warnings: string[];
}

/**
 * Load the configuration the way a C probe does: an explicit file must be an
 * absolute path to a regular file (tm_set_config_file), else the search paths.
 */
export async function loadProbeConfig(configFile?: string): Promise<ProbeConfig> {
  const cfgPath = configFile === undefined ? undefined : await checkConfigFilePath(configFile);
  const loaded = await loadConfig({ configFile: cfgPath });
  return { ...loaded, cfgPath };
}

export type NewRecordOptions = Omit<CreateRecordOptions, 'facts' | 'now' | 'random'>;

/** createRecord() with this machine's facts (under config.host_root), the clock and crypto randomness. */
export async function newRecord(
  options: NewRecordOptions,
  config: TelemetryConfig,
): Promise<TelemetryRecord> {
  const facts = await readHostFacts({ root: config.host_root });
  return createRecord({ ...options, facts, now: Date.now(), random: (n) => randomBytes(n) });
}

export interface SendProbeRecordOptions extends NewRecordOptions {
  /** Explicit config file (-f); absolute. */
  readonly configFile?: string | undefined;
  /** Overrides socket_path from the config. */
  readonly socketPath?: string | undefined;
  readonly timeoutMs?: number | undefined;
}

/** Load config, build the record, send it; resolves to the record that was sent. */
export async function sendProbeRecord(options: SendProbeRecordOptions): Promise<TelemetryRecord> {
  const { configFile, socketPath, timeoutMs, ...recordOptions } = options;
  const { config, cfgPath } = await loadProbeConfig(configFile);
  const record = { ...(await newRecord(recordOptions, config)), cfgPath };
  await sendRecord(record, {
    socketPath: socketPath ?? config.socket_path,
    optInFile: config.opt_in_file,
    timeoutMs,
  });
  return record;
}
