// crashprobe's options: C's (spec 12.2, getopt "hf:c:p:E:s:Vv", both
// --config-file and C's --config_file spelling) plus ours, as one table that
// also renders --help. Pure.
import type { ParseArgsConfig } from 'node:util';

export const DEFAULT_TIME_BUDGET_S = 30;
export const DEFAULT_USER = 'telemetry';
export const DEFAULT_DEBUG_ROOT = '/usr/lib/debug';

export const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  'config-file': { type: 'string', short: 'f' },
  config_file: { type: 'string' },
  'core-file': { type: 'string', short: 'c' },
  'process-name': { type: 'string', short: 'p' },
  'process-path': { type: 'string', short: 'E' },
  signal: { type: 'string', short: 's' },
  version: { type: 'boolean', short: 'V' },
  verbose: { type: 'boolean', short: 'v' },
  'time-budget': { type: 'string' },
  user: { type: 'string' },
  sysroot: { type: 'string' },
  'debug-root': { type: 'string', multiple: true },
  'map-path': { type: 'string', multiple: true },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** C's help text, byte for byte (it names --config_file; both spellings work). */
export const C_HELP = `Usage:
  crashprobe [OPTIONS] - collect data from core files

Help Options:
  -h, --help            Show help options

Application Options:
  -f, --config_file     Specify a configuration file other than default
  -c, --core-file       Path to core file to process
  -p, --process-name    Name of process for crash report (required)
  -E, --process-path    Absolute path of crashed process, with ! or / delimiters
  -s, --signal          Signal number that crashed the process
  -V, --version         Print the program version
  -v, --verbose         Print the crash payload to stdout

`;

export const EXTRA_HELP = `Additional Options:
  --time-budget SECONDS Stop reading and unwinding after SECONDS (default ${DEFAULT_TIME_BUDGET_S})
                        and send what was found, with a note in the payload
  --user NAME           User to run as when started as root (default: config key
                        crashprobe_user, else ${DEFAULT_USER}; falls back to nobody)
  --sysroot DIR         Look for the crashed program's files under DIR
  --debug-root DIR      Where .build-id/xx/yyyy.debug files live (repeatable;
                        default ${DEFAULT_DEBUG_ROOT})
  --map-path FROM=TO    Read the file recorded in the core as FROM from TO
                        (repeatable; for tests and for analysing cores elsewhere)

Description:
  Installed as the kernel's core handler with
    kernel.core_pattern = |/usr/bin/crashprobe -p %e -E %E -s %s
  crashprobe reads the core from standard input (or -c FILE) once, front to
  back, keeping only the notes and thread stacks. It unwinds every thread with
  the DWARF call frame information of the mapped files (trusted only when their
  build id matches the core) and sends an org.clearlinux/crash/clr record with
  a symbolized backtrace. Crashes of programs outside /usr, or under
  /usr/local, are sent as org.clearlinux/crash/unknown without analysis unless
  the privacy filter override file exists.

Exit status:
  0 a record was sent (or printed with -v and sent); 1 the core could not be
  analysed or the record could not be sent; 2 usage error.
`;

export interface CrashprobeArgs {
  readonly configFile: string | undefined;
  readonly coreFile: string | undefined;
  readonly processName: string;
  readonly processPath: string | undefined;
  readonly signal: number | undefined;
  readonly verbose: boolean;
  readonly timeBudgetS: number | undefined;
  readonly user: string | undefined;
  readonly sysroot: string | undefined;
  readonly debugRoots: readonly string[] | undefined;
  readonly pathMap: ReadonlyMap<string, string>;
}

export type ArgsOutcome =
  | { readonly kind: 'run'; readonly args: CrashprobeArgs }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  /** C's own error for a missing -p or bad -s: stdout, exit 1. */
  | { readonly kind: 'c-error'; readonly message: string }
  | { readonly kind: 'usage'; readonly message: string };

export interface ParsedValues {
  readonly help?: boolean | undefined;
  readonly 'config-file'?: string | undefined;
  readonly config_file?: string | undefined;
  readonly 'core-file'?: string | undefined;
  readonly 'process-name'?: string | undefined;
  readonly 'process-path'?: string | undefined;
  readonly signal?: string | undefined;
  readonly version?: boolean | undefined;
  readonly verbose?: boolean | undefined;
  readonly 'time-budget'?: string | undefined;
  readonly user?: string | undefined;
  readonly sysroot?: string | undefined;
  readonly 'debug-root'?: string[] | undefined;
  readonly 'map-path'?: string[] | undefined;
}

export function interpretArgs(v: ParsedValues): ArgsOutcome {
  if (v.help === true) return { kind: 'help' };
  if (v.version === true) return { kind: 'version' };
  const name = v['process-name'];
  if (name === undefined)
    return { kind: 'c-error', message: 'Missing required -p option. See --help output' };
  let signal: number | undefined;
  if (v.signal !== undefined) {
    if (!/^[+-]?[0-9]+$/.test(v.signal))
      return { kind: 'c-error', message: `Invalid signal number: ${v.signal}` };
    signal = Number(v.signal);
  }
  let timeBudgetS: number | undefined;
  if (v['time-budget'] !== undefined) {
    timeBudgetS = Number(v['time-budget']);
    if (!Number.isFinite(timeBudgetS) || timeBudgetS <= 0) {
      return {
        kind: 'usage',
        message: `--time-budget: "${v['time-budget']}" is not a positive number of seconds`,
      };
    }
  }
  const pathMap = new Map<string, string>();
  for (const m of v['map-path'] ?? []) {
    const i = m.indexOf('=');
    if (i <= 0 || i === m.length - 1) return { kind: 'usage', message: `--map-path: "${m}" is not FROM=TO` };
    pathMap.set(m.slice(0, i), m.slice(i + 1));
  }
  return {
    kind: 'run',
    args: {
      configFile: v['config-file'] ?? v.config_file,
      coreFile: v['core-file'],
      processName: name,
      processPath: v['process-path'],
      signal,
      verbose: v.verbose === true,
      timeBudgetS,
      user: v.user,
      sysroot: v.sysroot,
      debugRoots: v['debug-root'],
      pathMap,
    },
  };
}
