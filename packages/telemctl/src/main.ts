#!/usr/bin/env node
// telemctl: control telemetry services, opt in/out, show the journal and the
// status (spec c-client.md 11). Dispatch only: global options, the verb, its
// options; the verb returns the exit code and only this file sets it.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '@telemetrics/libtelemetry/config';
import type { Command, CommandContext, ExecResult, OptionsTable, OptionValues } from './command.ts';
import * as crashes from './commands/crashes.ts';
import * as journal from './commands/journal.ts';
import * as isActive from './commands/is-active.ts';
import * as optIn from './commands/opt-in.ts';
import * as optOut from './commands/opt-out.ts';
import * as restart from './commands/restart.ts';
import * as start from './commands/start.ts';
import * as status from './commands/status.ts';
import * as stop from './commands/stop.ts';
import { requireRoot } from './host.ts';

const ARGV0 = 'telemctl';

/** C's order in the usage text, then ours. */
const COMMANDS: readonly Command[] = [
  stop,
  start,
  restart,
  isActive,
  optIn,
  optOut,
  journal,
  status,
  crashes,
];

const GLOBAL_OPTIONS = {
  'config-file': {
    type: 'string',
    short: 'f',
    value: 'FILE',
    help: 'Read this configuration file (also --config_file)',
  },
  config_file: { type: 'string', value: 'FILE', help: '' },
  root: {
    type: 'string',
    value: 'DIR',
    help: 'Look up host files (systemd, tmpfiles, passwd, work dirs) under DIR',
  },
  help: { type: 'boolean', short: 'h', help: 'Show this help (after a command: its help)' },
  version: {
    type: 'boolean',
    short: 'V',
    help: 'Print "telemctl VERSION" and exit (after "journal", -V is its\n--verbose, as in C; --version still prints the version)',
  },
} as const satisfies OptionsTable;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** C's usage text (spec 11.1), `%-9s` names, plus our verb: printed for no or an unknown command. */
function usage(): string {
  let text = `${ARGV0} - Control actions for telemetry services\n\n`;
  for (const c of COMMANDS) text += `  ${c.name.padEnd(9)} ${c.summary}\n`;
  text += `\nRun "${ARGV0} --help" for the options, "${ARGV0} <command> --help" for a command's.\n`;
  return text;
}

/** --help: the manual, man-page style like every telemetrics tool (install.mjs renders it). */
function help(): string {
  let text = `NAME
  ${ARGV0} - control the telemetrics services and read the local journal

SYNOPSIS
  ${ARGV0} [-f FILE] [--root DIR] COMMAND [COMMAND OPTIONS]
  ${ARGV0} -h | --help | -V | --version

DESCRIPTION
  Starts and stops the telemetry units, opts this machine in or out, prints
  the journal of delivered records and telemd's status. The options below go
  before or after the command; "${ARGV0} COMMAND --help" lists a command's own.

COMMANDS
`;
  for (const c of COMMANDS) text += `  ${c.name.padEnd(9)} ${c.summary}\n`;
  text += `\nOPTIONS\n${renderOptions(GLOBAL_OPTIONS)}`;
  text += `
EXIT STATUS
  0  success
  1  failure (see each command's --help), or not root where root is needed
  2  usage error: no command, an unknown command or option, extra arguments
  3  is-active: a unit is not active
  "journal" exits 1 on a bad option, as C's telem_journal.

FILES
  /etc/telemetrics/telemetrics.conf, /usr/share/defaults/telemetrics/telemetrics.conf
      configuration
  /etc/telemetrics/opt-in
      the opt-in marker (opt_in_file)
  /usr/lib/tmpfiles.d/telemetrics-dirs.conf
      the work directories "start" creates and "opt-out" deletes

SEE ALSO
  telemd(8), hprobe(1), telem-record-gen(1), crashprobe(8), systemctl(1)
`;
  return text;
}

function renderOptions(table: OptionsTable): string {
  let out = '';
  for (const [name, spec] of Object.entries(table)) {
    if (spec.help === '') continue;
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.value ? ` ${spec.value}` : ''}`;
    const [first, ...rest] = spec.help.split('\n');
    out += `  ${flag.padEnd(28)} ${first}\n`;
    for (const line of rest) out += `  ${''.padEnd(28)} ${line}\n`;
  }
  return out;
}

/** A command's --help in the same man-page style; its description's first paragraph is DESCRIPTION. */
function commandHelp(c: Command): string {
  const summary = c.summary.replace(/\n\s+/g, ' ').replace(/\. .*$/, '');
  const lines = c.description.split('\n');
  const firstHeading = lines.findIndex((l) => /^[A-Z][A-Z ]*[A-Z]$/.test(l));
  const intro = firstHeading < 0 ? lines : lines.slice(0, firstHeading);
  const rest = firstHeading < 0 ? [] : lines.slice(firstHeading);
  const indent = (l: string) => (l === '' ? l : `  ${l}`);
  return (
    `NAME\n  ${ARGV0} ${c.name} - ${summary}\n\n` +
    `SYNOPSIS\n  ${ARGV0} [-f FILE] ${c.name}${Object.keys(c.options).length ? ' [OPTIONS]' : ''}\n\n` +
    `DESCRIPTION\n${intro.map(indent).join('\n').replace(/\n+$/, '')}\n\n` +
    (Object.keys(c.options).length ? `OPTIONS\n${renderOptions(c.options)}\n` : '') +
    (rest.length > 0 ? `${rest.join('\n').replace(/\n+$/, '')}\n` : '')
  );
}

/** The global options with the command's own: a command's short letter wins (journal -V = --verbose). */
function optionsFor(c: Command): OptionsTable {
  const taken = new Set(Object.values(c.options).map((o) => o.short));
  const globals = Object.entries(GLOBAL_OPTIONS).map(([name, spec]) => {
    if (!('short' in spec) || !taken.has(spec.short)) return [name, spec] as const;
    const { short: _short, ...rest } = spec;
    return [name, rest] as const;
  });
  return { ...Object.fromEntries(globals), ...c.options };
}

const STRING_GLOBALS = new Set(['-f', '--config-file', '--config_file', '--root']);

function exec(file: string, args: readonly string[]): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(file, [...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof err.code === 'string') {
        resolve({ code: 127, stdout: '', stderr: `${file}: ${err.message}` });
        return;
      }
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const out = (text: string) => process.stdout.write(text);
  const err = (text: string) => process.stderr.write(text);
  const usageError = (message: string) => {
    err(`${ARGV0}: ${message}\nTry '${ARGV0} --help' for more information.\n`);
    return 2;
  };

  // Global options may precede the verb; the verb is the first operand.
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) i += STRING_GLOBALS.has(argv[i]!) ? 2 : 1;
  const verb = argv[i];
  let globals: OptionValues;
  try {
    globals = parseArgs({ args: argv.slice(0, i), options: GLOBAL_OPTIONS, strict: true }).values;
  } catch (e) {
    return usageError((e as Error).message);
  }
  if (globals['version'] === true) {
    out(`${ARGV0} ${version()}\n`);
    return 0;
  }
  if (verb === undefined) {
    if (globals['help'] === true) {
      out(help());
      return 0;
    }
    out(usage());
    return 2;
  }
  const command = COMMANDS.find((c) => c.name === verb);
  if (!command) {
    out(`Unknown command passed to ${ARGV0}\n\n${usage()}`);
    return 2;
  }
  let values: OptionValues;
  try {
    const parsed = parseArgs({
      args: argv.slice(i + 1),
      options: optionsFor(command),
      strict: true,
      allowPositionals: false,
    });
    values = { ...globals, ...parsed.values };
  } catch (e) {
    usageError((e as Error).message);
    // telem_journal exits 1 on a bad option (spec 10.3); the other verbs 2.
    return command === journal ? 1 : 2;
  }
  if (values['help'] === true) {
    out(commandHelp(command));
    return 0;
  }
  if (values['version'] === true) {
    out(`${ARGV0} ${version()}\n`);
    return 0;
  }
  const getuid = () => process.getuid?.() ?? 0;
  if (command.needsRoot && requireRoot(getuid, err) !== 0) return 1;

  const configFile = (values['config-file'] ?? values['config_file']) as string | undefined;
  let config: CommandContext['config'];
  try {
    // The C lookup order (spec 9.2): -f, /etc, /usr/share defaults, built-in defaults.
    const loaded = await loadConfig({ configFile });
    for (const w of loaded.warnings) err(`${ARGV0}: ${w}\n`);
    config = loaded.config;
  } catch (e) {
    err(`${ARGV0}: ${(e as Error).message}\n`);
    return 1;
  }
  const ctx: CommandContext = {
    argv0: ARGV0,
    config,
    out,
    err,
    root: typeof values['root'] === 'string' ? values['root'] : '/',
    getuid,
    exec,
    now: Date.now,
    pidAlive: (pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'EPERM';
      }
    },
  };
  return command.run(ctx, values);
}

// `telemctl journal | head` closes our stdout early: stop quietly, like C would on SIGPIPE.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`${ARGV0}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
