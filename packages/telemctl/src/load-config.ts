// Temporary stand-in for loadConfig() of @telemetrics/libtelemetry/config
// (being written on the sdk branch): reads [settings] key=value of one file,
// typed by the defaults. Replaced by the real loader when main has it.
import { readFile } from 'node:fs/promises';
import { DEFAULT_CONFIG, type TelemetryConfig } from '@telemetrics/libtelemetry/config';

export interface LoadedTelemctlConfig {
  readonly config: TelemetryConfig;
  readonly warnings: string[];
}

export async function loadTelemctlConfig(configFile: string | undefined): Promise<LoadedTelemctlConfig> {
  if (configFile === undefined) return { config: DEFAULT_CONFIG, warnings: [] };
  const text = await readFile(configFile, 'utf8');
  const out: Record<string, unknown> = { ...DEFAULT_CONFIG };
  const warnings: string[] = [];
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) {
      section = line.slice(1, -1);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || section !== 'settings') continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    const def = (DEFAULT_CONFIG as unknown as Record<string, unknown>)[key];
    if (def === undefined) warnings.push(`unknown key ${key}`);
    else if (typeof def === 'boolean') out[key] = /^(true|1)$/i.test(value);
    else if (typeof def === 'number') out[key] = Number.parseInt(value, 10) || 0;
    else out[key] = value;
  }
  return { config: Object.freeze(out) as unknown as TelemetryConfig, warnings };
}
