// What each telemd error code means, for people: docs/error-codes.md is generated from this table
// (scripts/gen-docs.mjs). The Record type makes a new code without a meaning a type error.
import type { TelemdErrorCode } from './errors.ts';

export const TELEMD_ERROR_MEANINGS: Readonly<Record<TelemdErrorCode, string>> = {
  TELEMD_RECORD_VERSION: '`record_format_version` is not `4`',
  TELEMD_CLASSIFICATION:
    'classification breaks the rules (1..122 printable ASCII, exactly two `/`, segments of at most 40, the first 41)',
  TELEMD_SEVERITY: 'severity is not `1`..`4`',
  TELEMD_TIMESTAMP: '`creation_timestamp` is not decimal seconds',
  TELEMD_PAYLOAD_VERSION: '`payload_format_version` is not an unsigned integer',
  TELEMD_EVENT_ID: '`event_id` is not 32 lowercase hex',
  TELEMD_HEADER_VALUE: 'a host-derived header is empty/unprintable and the daemon has no value for it',
  TELEMD_READ_TIMEOUT: 'no complete frame within `intake_read_timeout_ms`',
  TELEMD_EMPTY_CONNECTION: 'a client connected and closed without data (info)',
  TELEMD_CONNECTION_ERROR: 'the socket failed while reading',
  TELEMD_SHED: 'connection closed at accept: `intake_max_connections` reached',
  TELEMD_SOCKET_DIR: 'cannot listen: the socket directory is missing',
  TELEMD_SOCKET_IN_USE: 'cannot listen: another live daemon holds the socket',
  TELEMD_SOCKET_NOT_SOCKET: 'cannot listen: a non-socket file is at the socket path',
  TELEMD_SOCKET_LISTEN: 'cannot listen: any other listen error',
  TELEMD_SPOOL_DIR:
    '`spool_dir` cannot be created, is not a directory or is not writable: telemd does not start (exit 1), a reload is refused',
  TELEMD_MACHINE_ID: 'machine id file unwritable (an in-memory id is used) or the override ignored',
  TELEMD_CFG_OVERRIDE: 'a `CFG:` override file is not root-owned, missing or unparsable; main config used',
  TELEMD_CONFIG:
    "a reload failed for a reason without its own code (config load errors carry libtelemetry's `TELEM_CONFIG_*` / `TELEM_INVALID_CONFIG_PATH`)",
};
