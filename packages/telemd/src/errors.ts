// Every telemd error code, registered once. Codes are permanent; messages may
// change. Frame-level codes (TELEM_FRAME_*) come from libtelemetry's decoder.
import { TelemetryError } from '@telemetrics/libtelemetry';

export const TelemdErrorCodes = {
  // intake: header policy (validate.ts)
  TELEMD_RECORD_VERSION: 'TELEMD_RECORD_VERSION',
  TELEMD_CLASSIFICATION: 'TELEMD_CLASSIFICATION',
  TELEMD_SEVERITY: 'TELEMD_SEVERITY',
  TELEMD_TIMESTAMP: 'TELEMD_TIMESTAMP',
  TELEMD_PAYLOAD_VERSION: 'TELEMD_PAYLOAD_VERSION',
  TELEMD_EVENT_ID: 'TELEMD_EVENT_ID',
  TELEMD_HEADER_VALUE: 'TELEMD_HEADER_VALUE',
  // intake: connection (connection.ts)
  TELEMD_READ_TIMEOUT: 'TELEMD_READ_TIMEOUT',
  TELEMD_EMPTY_CONNECTION: 'TELEMD_EMPTY_CONNECTION',
  TELEMD_CONNECTION_ERROR: 'TELEMD_CONNECTION_ERROR',
  TELEMD_SHED: 'TELEMD_SHED',
  // listening socket (listen.ts)
  TELEMD_SOCKET_DIR: 'TELEMD_SOCKET_DIR',
  TELEMD_SOCKET_IN_USE: 'TELEMD_SOCKET_IN_USE',
  TELEMD_SOCKET_NOT_SOCKET: 'TELEMD_SOCKET_NOT_SOCKET',
  TELEMD_SOCKET_LISTEN: 'TELEMD_SOCKET_LISTEN',
  // spool directory unusable at start or on reload (pipeline/durable.ts)
  TELEMD_SPOOL_DIR: 'TELEMD_SPOOL_DIR',
  // enrichment
  TELEMD_MACHINE_ID: 'TELEMD_MACHINE_ID',
  // delivery
  TELEMD_CFG_OVERRIDE: 'TELEMD_CFG_OVERRIDE',
  // process
  TELEMD_CONFIG: 'TELEMD_CONFIG',
} as const;

export type TelemdErrorCode = (typeof TelemdErrorCodes)[keyof typeof TelemdErrorCodes];

/** libtelemetry's coded error with telemd's own code table. */
export class TelemdError extends TelemetryError<TelemdErrorCode> {
  constructor(code: TelemdErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'TelemdError';
  }
}
