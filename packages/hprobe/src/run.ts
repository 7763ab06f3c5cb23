// hprobe: the smoke-test probe (spec c-client.md 12.1). Sends
// org.clearlinux/hello/world (or heartbeat/ping with -H), severity 1, with a
// small payload; options, messages and exit codes as the C hprobe.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ErrorCodes,
  loadProbeConfig,
  newRecord,
  openCommandLine,
  packageVersion,
  type ProbeConfig,
  sendRecord,
  type TelemetryRecord,
  TelemetryError,
} from '@telemetrics/libtelemetry';
import { buildPayload, localeFromEnv, sortBundleNames } from './payload.ts';

export interface HprobeIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Seconds since boot (os.uptime()). */
  readonly uptime: () => number;
}

const PROG = 'hprobe';
export const HELLO_CLASSIFICATION = 'org.clearlinux/hello/world';
export const HEARTBEAT_CLASSIFICATION = 'org.clearlinux/heartbeat/ping';
/** Under host_root. */
export const BUNDLES_DIR = 'usr/share/clear/bundles';

export const OPTIONS = {
  'config-file': { type: 'string', short: 'f' },
  config_file: { type: 'string' },
  heartbeat: { type: 'boolean', short: 'H' },
  help: { type: 'boolean', short: 'h' },
  locale: { type: 'boolean', short: 'l' },
  uptime: { type: 'boolean', short: 'u' },
  bundles: { type: 'boolean', short: 'b' },
  version: { type: 'boolean', short: 'V' },
} as const;

export const HELP = `NAME
  ${PROG} - send a hello (or heartbeat) telemetry record

SYNOPSIS
  ${PROG} [-H] [-l] [-u] [-b] [-f FILE]

DESCRIPTION
  Sends one record to the local telemetry daemon to show that the pipeline
  works: classification ${HELLO_CLASSIFICATION}, or ${HEARTBEAT_CLASSIFICATION}
  with -H; severity 1; payload "hello" plus the details asked for. The
  systemd timer runs '${PROG} -Hlu' once a day.

OPTIONS
  -H, --heartbeat           Create a "heartbeat" record instead
  -l, --locale              Include the locale ("LC_ALL: <locale>", from
                            LC_ALL, LC_<category> and LANG; C if unset)
  -u, --uptime              Include the uptime in seconds
  -b, --bundles             Include the installed bundles
                            (/${BUNDLES_DIR} under host_root; where that
                            does not exist, not Clear Linux, says so and
                            sends the record without them)
  -f, --config_file FILE    Use this configuration file (absolute path; also
      --config-file FILE    passed to the daemon with the record)
  -V, --version             Print "hprobe VERSION" and exit
  -h, --help                Show this help and exit

EXIT STATUS
  0  the record was sent; prints "Successfully sent record to daemon."
  1  bad option, configuration or bundles directory, or the record could
     not be sent (not opted in, no daemon, daemon closed early, timeout)

FILES
  /etc/telemetrics/telemetrics.conf, /usr/share/defaults/telemetrics/telemetrics.conf
      configuration (keys socket_path, opt_in_file, host_root)
  /etc/telemetrics/opt-in
      records are sent only while this file exists ('telemctl opt-in')

SEE ALSO
  telemd(8), telemctl(1), telem-record-gen(1)
`;

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Run hprobe; returns the exit code. */
export async function run(argv: readonly string[], io: HprobeIo): Promise<number> {
  const opened = openCommandLine(
    {
      prog: PROG,
      options: OPTIONS,
      help: HELP,
      version: () => packageVersion(new URL('../package.json', import.meta.url)),
      // C hprobe exits 1 on an unknown option.
      usageExitCode: 1,
    },
    argv,
    io,
  );
  if (opened.kind === 'exit') return opened.code;
  const { values } = opened;

  let probe: ProbeConfig;
  try {
    probe = await loadProbeConfig(values['config-file'] ?? values.config_file);
  } catch (err) {
    const invalidPath = err instanceof TelemetryError && err.code === ErrorCodes.TELEM_INVALID_CONFIG_PATH;
    io.stderr(invalidPath ? `Configuration file path not valid: ${describe(err)}\n` : `${describe(err)}\n`);
    return 1;
  }
  for (const warning of probe.warnings) io.stderr(`${PROG}: warning: ${warning}\n`);

  let bundles: string[] | undefined;
  if (values.bundles === true) {
    const dir = join(probe.config.host_root, BUNDLES_DIR);
    try {
      bundles = sortBundleNames(readdirSync(dir));
    } catch (err) {
      // Bundles are Clear Linux's: elsewhere the heartbeat still matters, so it goes without them.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        io.stderr(
          `${PROG}: no bundle list (${dir} does not exist: not Clear Linux); sending the record without it\n`,
        );
      } else {
        io.stderr(`Failed to read bundles directory ${dir}: ${describe(err)}\n`);
        return 1;
      }
    }
  }
  const payload = buildPayload({
    locale: values.locale === true ? localeFromEnv(io.env) : undefined,
    uptimeSeconds: values.uptime === true ? io.uptime() : undefined,
    bundles,
  });

  let record: TelemetryRecord;
  try {
    record = await newRecord(
      {
        severity: 1,
        classification: values.heartbeat === true ? HEARTBEAT_CLASSIFICATION : HELLO_CLASSIFICATION,
        payloadFormatVersion: 1,
        payload,
      },
      probe.config,
    );
  } catch (err) {
    const payloadError =
      err instanceof TelemetryError &&
      (err.code === ErrorCodes.TELEM_INVALID_PAYLOAD || err.code === ErrorCodes.TELEM_PAYLOAD_TOO_LARGE);
    io.stderr(
      `${payloadError ? 'Failed to set record payload' : 'Failed to create record'}: ${describe(err)}\n`,
    );
    return 1;
  }

  try {
    await sendRecord(
      { ...record, cfgPath: probe.cfgPath },
      { socketPath: probe.config.socket_path, optInFile: probe.config.opt_in_file },
    );
  } catch (err) {
    if (!(err instanceof TelemetryError)) throw err;
    io.stderr(`Failed to send record to daemon: ${describe(err)}\n`);
    return 1;
  }
  io.stdout('Successfully sent record to daemon.\n');
  return 0;
}
