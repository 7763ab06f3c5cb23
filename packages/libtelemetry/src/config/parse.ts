// Config file text -> TelemetryConfig, with the INI syntax of the C client
// (src/nica/inifile.c, spec c-client.md 9.3) and the key rules of keys.ts.
// Differences from C, all deliberate: a trailing CR is stripped (CRLF files
// broke booleans, BUG-35), garbage integers are errors instead of 0, unknown
// keys and ignored sections produce warnings, and every error names
// path:line. Pure: the caller reads the file.
import { ErrorCodes, fail, ok, type ParseResult } from '../errors.ts';
import { findConfigKey } from './keys.ts';
import { DEFAULT_CONFIG, type TelemetryConfig } from './types.ts';

export const SETTINGS_SECTION = 'settings';

export interface ParsedConfig {
  readonly config: TelemetryConfig;
  readonly warnings: string[];
}

interface RawValue {
  readonly value: string;
  readonly line: number;
}

/** C trims spaces and tabs only (not CR, not other whitespace). */
function trimBlanks(s: string): string {
  return s.replace(/^[ \t]+|[ \t]+$/g, '');
}

/** `\s` -> space; `\x` -> `x`; a trailing lone backslash is dropped (inifile.c). */
export function unescapeValue(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = raw[i + 1];
    i++;
    if (next === undefined) break;
    out += next === 's' ? ' ' : next;
  }
  return out;
}

/** Inverse of unescapeValue for writing values: backslashes doubled, spaces as `\s`. */
export function escapeValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/ /g, '\\s');
}

export function parseConfig(text: string, path: string): ParseResult<ParsedConfig> {
  const warnings: string[] = [];
  const settings = new Map<string, RawValue>();
  const ignoredSections = new Set<string>();
  let section: string | null = null;
  const lines = text.split('\n');
  // A final newline does not start another line (getline semantics).
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const where = `${path}:${lineNo}`;
    let line = lines[i] ?? '';
    if (line.endsWith('\r')) line = line.slice(0, -1);
    line = trimBlanks(line);
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) {
      if (!line.endsWith(']'))
        return fail(ErrorCodes.TELEM_CONFIG_SYNTAX, `${where}: expected closing ']' for section`);
      section = line.slice(1, -1);
      if (section !== SETTINGS_SECTION && !ignoredSections.has(section)) {
        ignoredSections.add(section);
        warnings.push(`${where}: section [${section}] is ignored (only [${SETTINGS_SECTION}] is read)`);
      }
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) return fail(ErrorCodes.TELEM_CONFIG_SYNTAX, `${where}: expected key=value notation`);
    if (section === null) {
      return fail(ErrorCodes.TELEM_CONFIG_SYNTAX, `${where}: key=value outside of a section`);
    }
    const key = trimBlanks(line.slice(0, eq));
    if (key === '') return fail(ErrorCodes.TELEM_CONFIG_SYNTAX, `${where}: empty key`);
    if (section !== SETTINGS_SECTION) continue;
    // Duplicates: the last one wins, as in C.
    settings.set(key, { value: unescapeValue(trimBlanks(line.slice(eq + 1))), line: lineNo });
  }

  const config: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const [key, raw] of settings) {
    const where = `${path}:${raw.line}`;
    const def = findConfigKey(key);
    if (def === undefined) {
      warnings.push(`${where}: unknown key "${key}" is ignored`);
      continue;
    }
    const result = def.parse(raw.value);
    if (!result.ok) return fail(ErrorCodes.TELEM_CONFIG_VALUE, `${where}: ${key}: ${result.reason}`);
    if (result.warning !== undefined) warnings.push(`${where}: ${key}: ${result.warning}`);
    config[key] = result.value;
  }
  return ok({ config: Object.freeze(config as unknown as TelemetryConfig), warnings });
}
