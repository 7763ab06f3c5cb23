// Send one record to the daemon: one frame per connection, write, end, wait
// for the daemon to close (spec c-client.md 2.1, 4). The daemon never
// replies, so success means "the daemon read the frame and hung up"; waiting
// for the close also turns "daemon closed without reading everything" into
// an error instead of C's silent loss. Node ignores SIGPIPE, so an early close
// is an EPIPE/ECONNRESET error here, not a killed probe (BUG-40).
import { statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { isAbsolute } from 'node:path';
import { type ErrorCode, ErrorCodes, SendError, TelemetryError } from './errors.ts';
import { isOptedIn } from './opt-in.ts';
import type { TelemetryRecord } from './record.ts';
import { encodeFrame } from './wire/frame.ts';

export const DEFAULT_SEND_TIMEOUT_MS = 5000;

export interface SendOptions {
  readonly socketPath: string;
  readonly optInFile: string;
  /** Per-record config file (C tm_set_config_file); checked like setConfigFile(). */
  readonly cfgPath?: string | undefined;
  /** Whole send, connect to close. */
  readonly timeoutMs?: number | undefined;
}

function errnoCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/**
 * C tm_set_config_file(): the path must be absolute and name an existing
 * regular file; it is not canonicalised. Returns the path to put in `CFG:`.
 */
export async function checkConfigFilePath(path: string): Promise<string> {
  if (!isAbsolute(path)) {
    throw new TelemetryError(ErrorCodes.TELEM_INVALID_CONFIG_PATH, `${path}: config path must be absolute`);
  }
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch (err) {
    throw new TelemetryError(
      ErrorCodes.TELEM_INVALID_CONFIG_PATH,
      `${path}: config file not found (${errnoCode(err) ?? String(err)})`,
      { cause: err },
    );
  }
  if (!isFile) throw new TelemetryError(ErrorCodes.TELEM_INVALID_CONFIG_PATH, `${path}: not a regular file`);
  return path;
}

/** A copy of the record whose frame carries `CFG:<path>\0`. */
export async function setConfigFile(record: TelemetryRecord, path: string): Promise<TelemetryRecord> {
  return { ...record, cfgPath: await checkConfigFilePath(path) };
}

function sendErrorFor(err: unknown, socketPath: string): SendError {
  const sys = errnoCode(err);
  const table: Record<string, [ErrorCode, string]> = {
    ENOENT: [ErrorCodes.TELEM_SOCKET_NOT_FOUND, 'no daemon socket'],
    ECONNREFUSED: [ErrorCodes.TELEM_CONNECTION_REFUSED, 'nobody is listening on the daemon socket'],
    EPIPE: [ErrorCodes.TELEM_CONNECTION_CLOSED, 'the daemon closed the connection before reading the record'],
    ECONNRESET: [
      ErrorCodes.TELEM_CONNECTION_CLOSED,
      'the daemon closed the connection before reading the record',
    ],
  };
  const [code, what] = (sys !== undefined ? table[sys] : undefined) ?? [
    ErrorCodes.TELEM_SEND_FAILED,
    'cannot send the record',
  ];
  const reason = err instanceof Error ? err.message : String(err);
  return new SendError(code, `${socketPath}: ${what} (${reason})`, sys, { cause: err });
}

/** Write one frame over a fresh connection; resolves once the daemon has closed it. */
export function writeFrame(frame: Uint8Array, socketPath: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const socket = createConnection({ path: socketPath });
    const finish = (err?: SendError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err === undefined) resolve();
      else reject(err);
    };
    const timer = setTimeout(() => {
      finish(
        new SendError(
          ErrorCodes.TELEM_SEND_TIMEOUT,
          `${socketPath}: the daemon did not take the record within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    socket.on('error', (err) => finish(sendErrorFor(err, socketPath)));
    // The daemon never writes; anything it sends is ignored.
    socket.on('data', () => {});
    socket.on('close', () => finish());
    socket.on('connect', () => {
      socket.end(frame);
    });
  });
}

/**
 * C tm_send_record(): refuse without opt-in (C: -ECONNREFUSED without
 * connecting), else send the frame. Errors are SendError/TelemetryError with
 * the codes TELEM_NOT_OPTED_IN, TELEM_INVALID_CONFIG_PATH,
 * TELEM_SOCKET_NOT_FOUND, TELEM_CONNECTION_REFUSED, TELEM_CONNECTION_CLOSED,
 * TELEM_SEND_TIMEOUT, TELEM_SEND_FAILED.
 */
export async function sendRecord(record: TelemetryRecord, options: SendOptions): Promise<void> {
  if (!(await isOptedIn(options.optInFile))) {
    throw new TelemetryError(
      ErrorCodes.TELEM_NOT_OPTED_IN,
      `not opted in to telemetry (${options.optInFile} does not exist)`,
    );
  }
  const cfgPath = options.cfgPath !== undefined ? await checkConfigFilePath(options.cfgPath) : record.cfgPath;
  const frame = encodeFrame({ headers: record.headers, payload: record.payload, cfgPath });
  await writeFrame(frame, options.socketPath, options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS);
}
