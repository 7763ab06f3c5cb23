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

/** Man-page style, like every telemetrics tool (C's GLib usage listed the first eight options). */
export const HELP = `NAME
  crashprobe - core dump handler that reports crashes as telemetry records

SYNOPSIS
  crashprobe -p NAME [-E PATH] [-s SIGNAL] [-c CORE] [-f FILE] [-v] [OPTIONS]

DESCRIPTION
  Installed as the kernel's core handler with
    kernel.core_pattern = |/usr/bin/crashprobe -p %e -E %E -s %s
  crashprobe reads the core from standard input (or -c FILE) once, front to
  back, keeping only the notes and thread stacks. It unwinds every thread with
  the DWARF call frame information of the mapped files (trusted only when their
  build id matches the core) and sends an org.clearlinux/crash/clr record with
  a symbolized backtrace. Crashes of programs outside /usr, or under
  /usr/local, are sent as org.clearlinux/crash/unknown without analysis unless
  the privacy filter override file exists.

OPTIONS
  -p, --process-name NAME  Name of process for crash report (required)
  -E, --process-path PATH  Absolute path of crashed process, with ! or / delimiters
  -s, --signal N           Signal number that crashed the process
  -c, --core-file FILE     Path to core file to process (default: standard input)
  -f, --config-file FILE   Specify a configuration file other than default
                           (also --config_file, C's spelling)
  -v, --verbose            Print the crash payload to stdout
      --time-budget SECONDS
                           Stop reading and unwinding after SECONDS (default ${DEFAULT_TIME_BUDGET_S})
                           and send what was found, with a note in the payload
      --user NAME          User to run as when started as root (default: config key
                           crashprobe_user, else ${DEFAULT_USER}; falls back to nobody)
      --sysroot DIR        Look for the crashed program's files under DIR
      --debug-root DIR     Where .build-id/xx/yyyy.debug files live (repeatable;
                           default ${DEFAULT_DEBUG_ROOT})
      --map-path FROM=TO   Read the file recorded in the core as FROM from TO
                           (repeatable; for tests and for analysing cores elsewhere)
  -V, --version            Print "crashprobe VERSION" and exit
  -h, --help               Show this help and exit

EXIT STATUS
  0  a record was sent (or printed with -v and sent)
  1  the core could not be analysed or the record could not be sent; a
     missing -p or a non-numeric -s (C's messages, on stdout)
  2  usage error

FILES
  /etc/telemetrics/telemetrics.conf, /usr/share/defaults/telemetrics/telemetrics.conf
      configuration (keys socket_path, opt_in_file, crashprobe_user,
      crashprobe_time_budget, privacy_filters_override_file)
  /etc/telemetrics/opt-in
      records are sent only while this file exists ('telemctl opt-in')
  /etc/telemetrics/opt-in-no-privacy-filters
      when present, crashes outside /usr are analysed too

SEE ALSO
  telemd(8), telemctl(1), core(5)
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
