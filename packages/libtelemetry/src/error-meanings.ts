// What each libtelemetry error code means, for people: docs/error-codes.md is generated from this
// table (scripts/gen-docs.mjs). The Record type makes a new code without a meaning a type error.
import type { ErrorCode } from './errors.ts';

export const ERROR_MEANINGS: Readonly<Record<ErrorCode, string>> = {
  TELEM_INVALID_CLASSIFICATION:
    'classification breaks the rules (1..122 printable ASCII, exactly two `/`, segments of at most 40, the first 41)',
  TELEM_INVALID_SEVERITY: 'severity is not an integer',
  TELEM_INVALID_EVENT_ID: 'event id is not 32 characters of `0-9a-f`',
  TELEM_INVALID_PAYLOAD: 'payload byte outside 0x09-0x0D, 0x20-0x7E (NUL, UTF-8, control)',
  TELEM_INVALID_PAYLOAD_VERSION: 'payload format version is not an unsigned 32-bit integer',
  TELEM_PAYLOAD_TOO_LARGE: 'payload over 8192 bytes',
  TELEM_INVALID_CONFIG_PATH: '`-f`/`setConfigFile` path is not an absolute path to a regular file',
  TELEM_CONFIG_SYNTAX: 'config file syntax error (message: `file:line: ...`)',
  TELEM_CONFIG_VALUE:
    'bad config value: garbage integer, window outside 0..59, bad boolean, unknown `server_api`',
  TELEM_CONFIG_READ: 'the selected config file cannot be read',
  TELEM_NOT_OPTED_IN: '`opt_in_file` does not exist; nothing was sent (C: `-ECONNREFUSED`)',
  TELEM_SOCKET_NOT_FOUND: 'no socket at `socket_path` (daemon not installed or not started)',
  TELEM_CONNECTION_REFUSED: 'the socket file exists but nobody listens',
  TELEM_CONNECTION_CLOSED: 'the daemon closed the connection before reading the record',
  TELEM_SEND_TIMEOUT: 'the daemon did not take the record within `timeoutMs`',
  TELEM_SEND_FAILED: 'any other socket error (`err.syscallCode` has the errno name)',
  TELEM_SPOOL_FULL:
    'telemd refused the record: `spool_max_size` reached and it could not be delivered at once (docs/intake.md)',
  TELEM_DISK_FULL: "telemd refused the record: the spool's file system is full (`ENOSPC`, `EDQUOT`)",
  TELEM_SPOOL_IO: 'telemd refused the record: another write or fsync failure, or telemd is stopping',
  TELEM_RATE_LIMITED:
    'telemd refused the record: `rate_limit_strategy=drop` and a record or byte limit is reached',
  TELEM_SHED: 'telemd shed the connection: too many open connections',
  TELEM_INVALID_FRAME:
    'telemd refused the frame as malformed or its headers as invalid (the detail says which)',
  TELEM_REFUSED:
    'telemd refused with a code this SDK does not know (a newer daemon); the code is in the message',
  TELEM_NOT_ACKNOWLEDGED:
    "telemd greeted but closed without an answer (it died or gave up): the record's fate is unknown, it was not sent",
  TELEM_HOST_FACTS: '`/proc/cpuinfo` under `host_root` cannot be read (C: `tm_create_record` returns -1)',
  TELEM_FRAME_TOO_SHORT:
    'fewer than the 4 bytes of the size prefix arrived (frame codes are returned by `decodeFrame`, never thrown)',
  TELEM_FRAME_SIZE: '`record_size` prefix out of range (5 .. the frame cap)',
  TELEM_FRAME_TRUNCATED: 'fewer bytes arrived than `record_size` announces',
  TELEM_FRAME_LENGTH_MISMATCH:
    "reserved: the frame's length fields disagree (no decoder path returns it today)",
  TELEM_FRAME_CFG: 'malformed `CFG:` block',
  TELEM_FRAME_HEADER_SIZE: '`header_size` missing, zero, or larger than the bytes left',
  TELEM_FRAME_NO_NUL: 'the frame does not end with a NUL byte',
  TELEM_FRAME_PAYLOAD_SIZE: 'payload over 8192 bytes',
  TELEM_FRAME_PAYLOAD_NUL: 'the payload contains a NUL byte',
  TELEM_FRAME_HEADERS: 'the header block contains NUL or is not `name: value` lines',
  TELEM_SPOOL_FORMAT: 'malformed spool file (returned by its parser)',
  TELEM_JOURNAL_FORMAT: 'malformed journal line (returned by its parser)',
  TELEM_JOURNAL_IO: 'journal open/append/prune failed',
  TELEM_RETENTION_EXISTS: 'a retained file for that record id exists; never overwritten',
  TELEM_STATUS_FORMAT: 'telemd status file unusable (telemctl status)',
};
