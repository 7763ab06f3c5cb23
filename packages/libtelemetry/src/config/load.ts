// Config file lookup (spec c-client.md 9.2): the explicit file (-f) if given,
// else the first readable search path, else the built-in defaults. Only one
// file is read; there is no merging. I/O at the edge; parsing is parse.ts.
// The reads are synchronous on purpose: one small file, once per probe run or daemon (re)start;
// fs/promises' readFile alone is five thread-pool round trips (~1.8 ms where this takes 0.1).
import { resolve } from 'node:path';
import { ErrorCodes, TelemetryError } from '../errors.ts';
import { parseConfig } from './parse.ts';
import { CONFIG_SEARCH_PATHS, DEFAULT_CONFIG, type TelemetryConfig } from './types.ts';
// node:fs through getBuiltinModule, not an ES import: importing it builds a module namespace that
// reads every export, and fs.promises loads fs/promises, streams and readline with it (~2 ms and
// ~4 MiB for a program that has no other use for them; bench h.crash-reporter).
const { accessSync, constants, readFileSync, statSync } = process.getBuiltinModule('node:fs');

export interface LoadConfigOptions {
  /** Explicit file (-f/--config-file): must exist and be a regular file. */
  readonly configFile?: string | undefined;
  /** Defaults to CONFIG_SEARCH_PATHS; tests point it into a temp dir. */
  readonly searchPaths?: readonly string[] | undefined;
}

export interface LoadedConfig {
  readonly config: TelemetryConfig;
  /** The file read (absolute), or null when the built-in defaults apply. */
  readonly path: string | null;
  readonly warnings: string[];
}

function errnoCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

function readAndParse(path: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TelemetryError(
      ErrorCodes.TELEM_CONFIG_READ,
      `${path}: cannot read configuration file (${errnoCode(err) ?? String(err)})`,
      { cause: err },
    );
  }
  const parsed = parseConfig(text, path);
  if (!parsed.ok) throw new TelemetryError(parsed.code, parsed.detail);
  return { config: parsed.value.config, path, warnings: parsed.value.warnings };
}

export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  return loadConfigSync(options);
}

/** loadConfig() for code that cannot wait: a crash handler on a dying process. */
export function loadConfigSync(options: LoadConfigOptions = {}): LoadedConfig {
  if (options.configFile !== undefined) {
    const path = resolve(options.configFile);
    let isFile = false;
    try {
      isFile = statSync(path).isFile();
    } catch (err) {
      throw new TelemetryError(
        ErrorCodes.TELEM_INVALID_CONFIG_PATH,
        `${path}: configuration file not found (${errnoCode(err) ?? String(err)})`,
        { cause: err },
      );
    }
    if (!isFile) {
      throw new TelemetryError(ErrorCodes.TELEM_INVALID_CONFIG_PATH, `${path}: not a regular file`);
    }
    return readAndParse(path);
  }
  for (const candidate of options.searchPaths ?? CONFIG_SEARCH_PATHS) {
    const path = resolve(candidate);
    try {
      accessSync(path, constants.R_OK);
    } catch {
      continue;
    }
    return readAndParse(path);
  }
  return { config: DEFAULT_CONFIG, path: null, warnings: [] };
}
