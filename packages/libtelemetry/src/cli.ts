// The opening every telemetrics command line shares: strict parseArgs, -h/--help (the tool's
// man-page style text: NAME, SYNOPSIS, ... headings at column 0, which scripts/install.mjs
// renders as its man page), -V/--version as "<tool> <version>", and a usage error as one line
// plus a pointer to --help on stderr. The tools keep their own texts and exit codes.
import { readFileSync } from 'node:fs';
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';

/** What --version prints, the same for every tool. */
export function versionLine(prog: string, version: string): string {
  return `${prog} ${version}\n`;
}

/** A usage error: the parser's message, then where to look. */
export function usageErrorText(prog: string, message: string): string {
  return `${prog}: ${message}\nTry '${prog} --help' for more information.\n`;
}

/** `version` of the package.json at `url` (a tool passes `new URL('../package.json', import.meta.url)`). */
export function packageVersion(url: URL): string {
  const pkg: unknown = JSON.parse(readFileSync(url, 'utf8'));
  return typeof pkg === 'object' && pkg !== null && 'version' in pkg ? String(pkg.version) : 'unknown';
}

type HelpAndVersion = {
  readonly help: { readonly type: 'boolean'; readonly short: 'h' };
  readonly version: { readonly type: 'boolean'; readonly short: 'V' };
};

export interface CommandLineSpec<O extends ParseArgsOptionsConfig & HelpAndVersion> {
  readonly prog: string;
  readonly options: O;
  readonly help: string;
  /** Called only for --version. */
  readonly version: () => string;
  /** Exit status of a usage error (2 unless the C tool used another). */
  readonly usageExitCode: number;
}

export type CommandLine<O extends ParseArgsOptionsConfig> =
  | {
      readonly kind: 'run';
      readonly values: ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values'];
    }
  | { readonly kind: 'exit'; readonly code: number };

/** Parse `argv`; --help, --version and usage errors are answered here (kind 'exit'). */
export function openCommandLine<O extends ParseArgsOptionsConfig & HelpAndVersion>(
  spec: CommandLineSpec<O>,
  argv: readonly string[],
  io: { readonly stdout: (text: string) => void; readonly stderr: (text: string) => void },
): CommandLine<O> {
  let values: Extract<CommandLine<O>, { kind: 'run' }>['values'];
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: spec.options,
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    io.stderr(usageErrorText(spec.prog, err instanceof Error ? err.message : String(err)));
    return { kind: 'exit', code: spec.usageExitCode };
  }
  const flags = values as { readonly help?: boolean; readonly version?: boolean };
  if (flags.help === true) {
    io.stdout(spec.help);
    return { kind: 'exit', code: 0 };
  }
  if (flags.version === true) {
    io.stdout(versionLine(spec.prog, spec.version()));
    return { kind: 'exit', code: 0 };
  }
  return { kind: 'run', values };
}
