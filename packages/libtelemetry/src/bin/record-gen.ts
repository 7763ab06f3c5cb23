// telem-record-gen: create a record from the command line and send it
// (spec c-client.md 12.3). Options, messages and exit codes follow the C
// tool, except: a failed send always exits 1 with a reason; payloads of up
// to 8192 bytes are sent and larger ones are an error (C silently cut them
// to 8191); unknown options are a usage error (exit 2) instead of ignored.
import { open } from 'node:fs/promises';
import { openCommandLine, packageVersion } from '../cli.ts';
import { ErrorCodes, TelemetryError } from '../errors.ts';
import { loadProbeConfig, newRecord } from '../probe.ts';
import { classificationError, type TelemetryRecord } from '../record.ts';
import { sendRecord } from '../send.ts';
import {
  EVENT_ID_LENGTH,
  formatHeaderBlock,
  MAX_CLASSIFICATION_LENGTH,
  MAX_CLASSIFICATION_SEGMENT,
  MAX_PAYLOAD_BYTES,
} from '../wire/headers.ts';

export interface CliIo {
  readonly stdout: (text: string | Uint8Array) => void;
  readonly stderr: (text: string) => void;
  readonly stdin: AsyncIterable<Uint8Array>;
}

const PROG = 'telem-record-gen';
const EVENT_ID_ALPHABET = '0123456789abcdef';

export const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  severity: { type: 'string', short: 's' },
  class: { type: 'string', short: 'c' },
  payload: { type: 'string', short: 'p' },
  'payload-file': { type: 'string', short: 'P' },
  'record-version': { type: 'string', short: 'R' },
  'event-id': { type: 'string', short: 'e' },
  echo: { type: 'boolean', short: 'o' },
  'no-post': { type: 'boolean', short: 'n' },
  'config-file': { type: 'string', short: 'f' },
  config_file: { type: 'string' },
  socket: { type: 'string' },
} as const;

export const HELP = `NAME
  ${PROG} - create and send a custom telemetry record

SYNOPSIS
  ${PROG} -c CLASS [-s SEVERITY] [-p TEXT | -P FILE] [-R N] [-e ID] [-o] [-n]
                   [-f FILE] [--socket PATH]

DESCRIPTION
  Builds a Version-4 telemetry record exactly as the C libtelemetry does and
  sends it to the local daemon over its unix socket. The payload comes from
  -P, else -p, else standard input.

OPTIONS
  -c, --class CLASS         Classification most/to/least (required): 1-${MAX_CLASSIFICATION_LENGTH} printable
                            ASCII chars, exactly two '/', at most ${MAX_CLASSIFICATION_SEGMENT} chars
                            between slashes
  -s, --severity N          Severity 1 (low) to 4 (critical), default 1
  -p, --payload TEXT        Record body, at most ${MAX_PAYLOAD_BYTES} bytes
  -P, --payload-file FILE   Read the record body from FILE (at most ${MAX_PAYLOAD_BYTES} bytes)
  -R, --record-version N    Payload format version, default 1
  -e, --event-id ID         Event id: ${EVENT_ID_LENGTH} characters of ${EVENT_ID_ALPHABET}
  -o, --echo                Print the record (headers, payload) to standard output
  -n, --no-post             Do not send the record
  -f, --config-file FILE    Use this configuration file (absolute path; also
      --config_file FILE    passed to the daemon with the record)
      --socket PATH         Send to this socket instead of socket_path
  -V, --version             Print "telem-record-gen VERSION" and exit
  -h, --help                Show this help and exit

  The payload must be printable ASCII, TAB, LF, VT, FF or CR.

EXIT STATUS
  0  the record was sent (or built, with -n)
  1  invalid option value, payload or configuration, or the record could
     not be sent (not opted in, no daemon, daemon closed early, timeout)
  2  unknown option or missing option argument

FILES
  /etc/telemetrics/telemetrics.conf, /usr/share/defaults/telemetrics/telemetrics.conf
      configuration (keys socket_path, opt_in_file, host_root)
  /etc/telemetrics/opt-in
      records are sent only while this file exists ('telemctl opt-in')

SEE ALSO
  telemd(8), telemctl(1), hprobe(1)
`;

class CliFailure extends Error {}

/** strtoul(s, &end, 10) with *end == '\0', as C checks -s and -R; the range is the caller's. */
function parseInteger(raw: string, what: string): number {
  if (!/^[ \t\n\v\f\r]*[+-]?[0-9]+$/.test(raw)) {
    throw new CliFailure(`Invalid ${what} number. Must be an integer`);
  }
  return Number(raw.trim());
}

function parseRecordVersion(raw: string): number {
  const value = parseInteger(raw, 'record-version');
  if (value < 0 || value > 0xffff_ffff) throw new CliFailure('Failed to convert record-version number');
  return value;
}

/** The checks and messages of the C validate_opts(), then ours (printable ASCII). */
function checkClassification(cls: string | undefined): string {
  if (cls === undefined) throw new CliFailure('Error: Classification required. See --help.');
  if (cls.length === 0 || cls.length > MAX_CLASSIFICATION_LENGTH) {
    throw new CliFailure(`Error: Valid size for classification is 1-${MAX_CLASSIFICATION_LENGTH} chars`);
  }
  if (!/^[\x00-\x7f]*$/.test(cls)) {
    throw new CliFailure('Error: Non-ascii characters detected in classification - aborting');
  }
  const reason = classificationError(cls);
  if (reason === null) return cls;
  if (reason.includes('between slashes')) {
    throw new CliFailure(
      `Error: Classification strings between slashes should have at most ${MAX_CLASSIFICATION_SEGMENT} chars`,
    );
  }
  if (reason.includes("2 '/'")) {
    throw new CliFailure(
      "Error: Classification needs to be in most/to/least specific format, 2 '/' required.",
    );
  }
  throw new CliFailure(`Error: ${reason[0]?.toUpperCase()}${reason.slice(1)}`);
}

function checkEventId(id: string | undefined): string | undefined {
  if (id === undefined) return undefined;
  if (id.length !== EVENT_ID_LENGTH) {
    throw new CliFailure(`Error: event_id length ${id.length} it should have ${EVENT_ID_LENGTH} characters`);
  }
  const bad = [...id].findIndex((c) => !EVENT_ID_ALPHABET.includes(c));
  if (bad >= 0) {
    throw new CliFailure(
      `Error: event_id contains invalid character '${id[bad]}' at position ${bad}, valid characters are ${EVENT_ID_ALPHABET}`,
    );
  }
  return id;
}

function tooLarge(): CliFailure {
  return new CliFailure(`Error: payload is larger than ${MAX_PAYLOAD_BYTES} bytes`);
}

async function payloadFromFile(path: string): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch {
    throw new CliFailure(`Error: file ${path} could not be opened for reading`);
  }
  try {
    // One byte more than the limit tells "too large" without reading a huge file.
    const buf = Buffer.alloc(MAX_PAYLOAD_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, length, buf.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buf.length) throw tooLarge();
    }
    return buf.subarray(0, length);
  } catch (err) {
    if (err instanceof CliFailure) throw err;
    throw new CliFailure(`Error: file ${path} could not be read (${(err as Error).message})`);
  } finally {
    await handle.close();
  }
}

async function payloadFromStdin(stdin: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  // Read to EOF even past the limit, as C does, so the writer never gets EPIPE.
  for await (const chunk of stdin) {
    if (length <= MAX_PAYLOAD_BYTES) chunks.push(chunk);
    length += chunk.length;
  }
  if (length > MAX_PAYLOAD_BYTES) throw tooLarge();
  return Buffer.concat(chunks);
}

function sendFailureMessage(err: TelemetryError): string {
  if (err.code === ErrorCodes.TELEM_NOT_OPTED_IN) {
    return "Unable to send record. Make sure to opt-in to telemetry first 'telemctl opt-in'";
  }
  return `Error: Unable to send record: ${err.message}`;
}

function echo(record: TelemetryRecord, io: CliIo): void {
  io.stdout(
    Buffer.concat([
      Buffer.from(formatHeaderBlock(record.headers), 'latin1'),
      record.payload,
      Buffer.from('\n'),
    ]),
  );
}

/** Run the tool; returns the exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const opened = openCommandLine(
    {
      prog: PROG,
      options: OPTIONS,
      help: HELP,
      version: () => packageVersion(new URL('../../package.json', import.meta.url)),
      usageExitCode: 2,
    },
    argv,
    io,
  );
  if (opened.kind === 'exit') return opened.code;
  const { values } = opened;
  try {
    // Any out-of-range severity, negative included, gets C's range message below.
    const severity = values.severity === undefined ? 1 : parseInteger(values.severity, 'severity');
    const payloadFormatVersion =
      values['record-version'] === undefined ? 1 : parseRecordVersion(values['record-version']);
    const configFile = values['config-file'] ?? values.config_file;
    let probeConfig: Awaited<ReturnType<typeof loadProbeConfig>>;
    try {
      probeConfig = await loadProbeConfig(configFile);
    } catch (err) {
      if (err instanceof TelemetryError && err.code === ErrorCodes.TELEM_INVALID_CONFIG_PATH) {
        throw new CliFailure(`Configuration file path not valid: ${err.message}`);
      }
      throw err;
    }
    for (const warning of probeConfig.warnings) io.stderr(`${PROG}: warning: ${warning}\n`);
    const classification = checkClassification(values.class);
    if (severity < 1 || severity > 4) throw new CliFailure('Error: Valid range for severity is 1-4');
    const eventId = checkEventId(values['event-id']);
    const payload =
      values['payload-file'] !== undefined
        ? await payloadFromFile(values['payload-file'])
        : values.payload !== undefined
          ? Buffer.from(values.payload, 'utf8')
          : await payloadFromStdin(io.stdin);
    if (payload.length > MAX_PAYLOAD_BYTES) throw tooLarge();
    const record = {
      ...(await newRecord(
        { severity, classification, payloadFormatVersion, eventId, payload },
        probeConfig.config,
      )),
      cfgPath: probeConfig.cfgPath,
    };
    if (values.echo === true) echo(record, io);
    if (values['no-post'] === true) return 0;
    try {
      await sendRecord(record, {
        socketPath: values.socket ?? probeConfig.config.socket_path,
        optInFile: probeConfig.config.opt_in_file,
      });
    } catch (err) {
      if (err instanceof TelemetryError) throw new CliFailure(sendFailureMessage(err));
      throw err;
    }
    return 0;
  } catch (err) {
    if (err instanceof CliFailure) io.stderr(`${err.message}\n`);
    else if (err instanceof TelemetryError) io.stderr(`Error: ${err.message}\n`);
    else throw err;
    return 1;
  }
}
