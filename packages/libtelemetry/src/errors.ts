// Every error code of libtelemetry, registered once. Codes are permanent;
// messages may change. Callers match on `code`, never on `instanceof`.
import { RefusalCodes } from './wire/ack.ts';

export const ErrorCodes = {
  TELEM_INVALID_CLASSIFICATION: 'TELEM_INVALID_CLASSIFICATION',
  TELEM_INVALID_SEVERITY: 'TELEM_INVALID_SEVERITY',
  TELEM_INVALID_EVENT_ID: 'TELEM_INVALID_EVENT_ID',
  TELEM_INVALID_PAYLOAD: 'TELEM_INVALID_PAYLOAD',
  TELEM_INVALID_PAYLOAD_VERSION: 'TELEM_INVALID_PAYLOAD_VERSION',
  TELEM_PAYLOAD_TOO_LARGE: 'TELEM_PAYLOAD_TOO_LARGE',
  TELEM_INVALID_CONFIG_PATH: 'TELEM_INVALID_CONFIG_PATH',
  TELEM_CONFIG_SYNTAX: 'TELEM_CONFIG_SYNTAX',
  TELEM_CONFIG_VALUE: 'TELEM_CONFIG_VALUE',
  TELEM_CONFIG_READ: 'TELEM_CONFIG_READ',
  TELEM_NOT_OPTED_IN: 'TELEM_NOT_OPTED_IN',
  TELEM_SOCKET_NOT_FOUND: 'TELEM_SOCKET_NOT_FOUND',
  TELEM_CONNECTION_REFUSED: 'TELEM_CONNECTION_REFUSED',
  TELEM_CONNECTION_CLOSED: 'TELEM_CONNECTION_CLOSED',
  TELEM_SEND_TIMEOUT: 'TELEM_SEND_TIMEOUT',
  TELEM_SEND_FAILED: 'TELEM_SEND_FAILED',
  // The daemon's answer (wire/ack.ts): it refused the record, with the reason. The SDK
  // rejects with the daemon's own code, so the list is the daemon's.
  ...RefusalCodes,
  /** A refusal code this SDK does not know (a newer daemon); the daemon's code is in the message. */
  TELEM_REFUSED: 'TELEM_REFUSED',
  /** telemd greeted but closed without an answer: the record's fate is unknown (not sent). */
  TELEM_NOT_ACKNOWLEDGED: 'TELEM_NOT_ACKNOWLEDGED',
  TELEM_HOST_FACTS: 'TELEM_HOST_FACTS',
  // Frame decoding (untrusted bytes: returned as values, not thrown).
  TELEM_FRAME_TOO_SHORT: 'TELEM_FRAME_TOO_SHORT',
  TELEM_FRAME_SIZE: 'TELEM_FRAME_SIZE',
  TELEM_FRAME_TRUNCATED: 'TELEM_FRAME_TRUNCATED',
  TELEM_FRAME_LENGTH_MISMATCH: 'TELEM_FRAME_LENGTH_MISMATCH',
  TELEM_FRAME_CFG: 'TELEM_FRAME_CFG',
  TELEM_FRAME_HEADER_SIZE: 'TELEM_FRAME_HEADER_SIZE',
  TELEM_FRAME_NO_NUL: 'TELEM_FRAME_NO_NUL',
  TELEM_FRAME_PAYLOAD_SIZE: 'TELEM_FRAME_PAYLOAD_SIZE',
  TELEM_FRAME_PAYLOAD_NUL: 'TELEM_FRAME_PAYLOAD_NUL',
  TELEM_FRAME_HEADERS: 'TELEM_FRAME_HEADERS',
  TELEM_SPOOL_FORMAT: 'TELEM_SPOOL_FORMAT',
  TELEM_JOURNAL_FORMAT: 'TELEM_JOURNAL_FORMAT',
  // Journal and retention files (I/O failures; the entry format is TELEM_JOURNAL_FORMAT).
  TELEM_JOURNAL_IO: 'TELEM_JOURNAL_IO',
  TELEM_RETENTION_EXISTS: 'TELEM_RETENTION_EXISTS',
  // telemd's status file as read by telemctl status.
  TELEM_STATUS_FORMAT: 'TELEM_STATUS_FORMAT',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/**
 * The coded error of every package: a package with its own code table extends it with that
 * table's type (telemd's TelemdError), so one shape serves all and callers match on `code`.
 */
export class TelemetryError<C extends string = ErrorCode> extends Error {
  readonly code: C;
  constructor(code: C, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TelemetryError';
    this.code = code;
  }
}

/** A send failure keeps the errno-style code of the socket error, if any. */
export class SendError extends TelemetryError {
  readonly syscallCode: string | undefined;
  constructor(code: ErrorCode, message: string, syscallCode?: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'SendError';
    this.syscallCode = syscallCode;
  }
}

/** Result of parsing untrusted bytes: never thrown. */
export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: ErrorCode; readonly detail: string };

export function ok<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}

export function fail<T = never>(code: ErrorCode, detail: string): ParseResult<T> {
  return { ok: false, code, detail };
}
