// Send one record to the daemon: one frame per connection, write, end, then
// read the daemon's answer until it closes (spec c-client.md 2.1, 4;
// docs/intake.md). telemd greets at accept and answers once the record is
// durable or refused (wire/ack.ts): the promise resolves only on "OK" and
// rejects with the daemon's refusal code otherwise. A daemon that writes
// nothing (the C telemprobd) is served as before: its plain close is success.
// A greeting without an answer is TELEM_NOT_ACKNOWLEDGED, never success.
// Node ignores SIGPIPE, so an early close is an EPIPE/ECONNRESET error here,
// not a killed probe (BUG-40).
import { statSync, writeSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { isAbsolute } from 'node:path';
import { type ErrorCode, ErrorCodes, SendError, TelemetryError } from './errors.ts';
import { isOptedIn } from './opt-in.ts';
import type { TelemetryRecord } from './record.ts';
import { isRefusalCode, MAX_REPLY_BYTES, parseReply, type Reply } from './wire/ack.ts';
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

/**
 * What the connection's end means, from what the daemon wrote and the socket error (if any).
 * undefined = success. An answer wins over a reset: telemd may close with our FIN unread.
 */
export function replyOutcome(reply: Reply, socketError: unknown, socketPath: string): SendError | undefined {
  if (reply.kind === 'answered') {
    const { answer } = reply;
    if (answer.ok) return undefined;
    const code = isRefusalCode(answer.code) ? answer.code : ErrorCodes.TELEM_REFUSED;
    return new SendError(
      code,
      `${socketPath}: the daemon refused the record: ${answer.code} ${answer.detail}`,
    );
  }
  if (reply.kind === 'garbled') {
    return new SendError(ErrorCodes.TELEM_SEND_FAILED, `${socketPath}: ${reply.detail}`);
  }
  if (reply.kind === 'unacknowledged') {
    return new SendError(
      ErrorCodes.TELEM_NOT_ACKNOWLEDGED,
      `${socketPath}: the daemon closed the connection without acknowledging the record (its fate is unknown)`,
      errnoCode(socketError),
      socketError === undefined ? undefined : { cause: socketError },
    );
  }
  return socketError === undefined ? undefined : sendErrorFor(socketError, socketPath);
}

/**
 * The frame with one write(2) on the descriptor. Through the stream, an EPIPE (the daemon shed
 * us and closed) would destroy the socket with the daemon's answer unread. Returns what is left
 * to write (the stream writes it), or the error when the daemon has already closed.
 */
function writeQuietly(socket: Socket, frame: Uint8Array): Uint8Array | { gone: unknown } {
  const fd = (socket as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return frame;
  try {
    return frame.subarray(writeSync(fd, frame));
  } catch (err) {
    const code = errnoCode(err);
    return code === 'EPIPE' || code === 'ECONNRESET' ? { gone: err } : frame; // EAGAIN: the stream waits
  }
}

/**
 * Write one frame over a fresh connection; resolves once the daemon acknowledged it, or closed
 * without writing anything (a daemon that does not acknowledge, as C's).
 */
export function writeFrame(frame: Uint8Array, socketPath: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const received: Buffer[] = [];
    let receivedBytes = 0;
    let socketError: unknown;
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
    // An error is always followed by 'close', which decides from what the daemon wrote: an
    // answer and then a reset is still the answer; ENOENT/ECONNREFUSED come with nothing read.
    socket.on('error', (err) => {
      socketError ??= err;
    });
    socket.on('data', (chunk: Buffer) => {
      if (receivedBytes >= MAX_REPLY_BYTES) return;
      received.push(chunk);
      receivedBytes += chunk.length;
    });
    socket.on('close', () =>
      finish(replyOutcome(parseReply(Buffer.concat(received)), socketError, socketPath)),
    );
    socket.on('connect', () => {
      const rest = writeQuietly(socket, frame);
      // No empty write through the stream: telemd may answer and close before it runs, and its
      // EPIPE would destroy the socket with the answer unread. end() alone is a shutdown(2).
      if (rest instanceof Uint8Array && rest.length > 0) socket.end(rest);
      else if (rest instanceof Uint8Array) socket.end();
      // The daemon closed first (telemd shed us: its answer is still readable; else not sent).
      else socketError ??= rest.gone;
    });
  });
}

/**
 * C tm_send_record(): refuse without opt-in (C: -ECONNREFUSED without
 * connecting), else send the frame. Errors are SendError/TelemetryError with
 * the codes TELEM_NOT_OPTED_IN, TELEM_INVALID_CONFIG_PATH,
 * TELEM_SOCKET_NOT_FOUND, TELEM_CONNECTION_REFUSED, TELEM_CONNECTION_CLOSED,
 * TELEM_SEND_TIMEOUT, TELEM_SEND_FAILED; and the daemon's refusals
 * TELEM_SPOOL_FULL, TELEM_DISK_FULL, TELEM_SPOOL_IO, TELEM_RATE_LIMITED,
 * TELEM_SHED, TELEM_INVALID_FRAME, TELEM_REFUSED; TELEM_NOT_ACKNOWLEDGED when
 * the daemon greeted and closed without an answer.
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
