// A telemetry record as the C libtelemetry builds it (spec c-client.md 3, 4):
// the 15 Version-4 headers plus a payload. Pure: host facts, clock and
// randomness come in as arguments, so identical inputs give identical bytes.
//
// Validation is the C library's, made stricter where C let through values
// that corrupt the frame or the backend: classifications must be printable
// ASCII and non-empty, and payloads over 8192 bytes are rejected, never
// truncated (C 2.4 truncated silently).
import { ErrorCodes, TelemetryError } from './errors.ts';
import type { HostFacts } from './host-facts.ts';
import {
  EVENT_ID_LENGTH,
  MACHINE_ID_PLACEHOLDER,
  MAX_CLASSIFICATION_LENGTH,
  MAX_CLASSIFICATION_SEGMENT,
  MAX_PAYLOAD_BYTES,
  RECORD_FORMAT_VERSION,
  type RecordHeaders,
} from './wire/headers.ts';

export interface TelemetryRecord {
  readonly headers: RecordHeaders;
  readonly payload: Buffer;
  /** Absolute config path the frame carries as `CFG:<path>` (see setConfigFile). */
  readonly cfgPath?: string | undefined;
}

export interface CreateRecordOptions {
  /** 1 (low) .. 4 (critical); clamped into that range like C. */
  readonly severity: number;
  /** `most/to/least` specific, see validateClassification(). */
  readonly classification: string;
  /** Caller-defined payload format, unsigned 32-bit; default 1. */
  readonly payloadFormatVersion?: number;
  /** 32 lowercase hex digits; generated from `random(16)` when absent. */
  readonly eventId?: string | undefined;
  readonly payload?: string | Uint8Array | undefined;
  readonly facts: HostFacts;
  /** Creation time in milliseconds since the epoch (Date.now()); sent as whole seconds. */
  readonly now: number;
  /** n random bytes (crypto.randomBytes). */
  readonly random: (bytes: number) => Uint8Array;
}

export const MIN_SEVERITY = 1;
export const MAX_SEVERITY = 4;
const EVENT_ID_RANDOM_BYTES = 16;
const MAX_UINT32 = 0xffff_ffff;

/**
 * Why a classification is invalid, or null if it is valid. C rules (spec
 * 3.3): at most 122 chars, exactly two `/` (empty segments allowed), segments
 * of at most 40 chars, except that C's off-by-one lets the FIRST segment have
 * 41: we keep that, so every classification a C probe could send still works
 * (the backend only checks for three parts). Added: non-empty, printable ASCII
 * (0x20-0x7e) only; C let `\n` and non-ASCII through and corrupted frames.
 */
export function classificationError(classification: string): string | null {
  if (classification === '') return 'classification is empty';
  if (classification.length > MAX_CLASSIFICATION_LENGTH) {
    return `classification is longer than ${MAX_CLASSIFICATION_LENGTH} characters`;
  }
  if (!/^[\x20-\x7e]*$/.test(classification)) {
    return 'classification must be printable ASCII (no control characters, no non-ASCII)';
  }
  const segments = classification.split('/');
  if (segments.length !== 3) {
    return "classification needs to be in most/to/least specific format, 2 '/' required";
  }
  for (const [i, segment] of segments.entries()) {
    const max = i === 0 ? MAX_CLASSIFICATION_SEGMENT + 1 : MAX_CLASSIFICATION_SEGMENT;
    if (segment.length > max) {
      return `classification strings between slashes should have at most ${MAX_CLASSIFICATION_SEGMENT} chars`;
    }
  }
  return null;
}

/** Throws TELEM_INVALID_CLASSIFICATION unless the classification is valid. */
export function validateClassification(classification: string): void {
  const reason = classificationError(classification);
  if (reason !== null) {
    throw new TelemetryError(
      ErrorCodes.TELEM_INVALID_CLASSIFICATION,
      `${reason}: ${JSON.stringify(classification)}`,
    );
  }
}

export function isValidEventId(id: string): boolean {
  return id.length === EVENT_ID_LENGTH && /^[0-9a-f]+$/.test(id);
}

/** Bytes C's payload_is_ascii() accepts: isprint() || isspace() in the C locale. */
function isPayloadByte(b: number): boolean {
  return (b >= 0x09 && b <= 0x0d) || (b >= 0x20 && b <= 0x7e);
}

/**
 * Check and convert a payload: at most 8192 bytes (TELEM_PAYLOAD_TOO_LARGE,
 * never truncated) of printable ASCII and whitespace (TELEM_INVALID_PAYLOAD;
 * this also excludes NUL, which C would have silently cut the payload at).
 */
export function toPayload(payload: string | Uint8Array): Buffer {
  // Strings are checked as characters so non-latin1 text cannot hide behind an encoding.
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  if (bytes.length > MAX_PAYLOAD_BYTES) {
    throw new TelemetryError(
      ErrorCodes.TELEM_PAYLOAD_TOO_LARGE,
      `payload is ${bytes.length} bytes, the limit is ${MAX_PAYLOAD_BYTES}`,
    );
  }
  const bad = bytes.findIndex((b) => !isPayloadByte(b));
  if (bad >= 0) {
    throw new TelemetryError(
      ErrorCodes.TELEM_INVALID_PAYLOAD,
      `payload byte ${bad} is 0x${bytes[bad]!.toString(16).padStart(2, '0')}: only printable ASCII, TAB, LF, VT, FF and CR are allowed`,
    );
  }
  return bytes;
}

function clampSeverity(severity: number): number {
  if (!Number.isInteger(severity)) {
    throw new TelemetryError(
      ErrorCodes.TELEM_INVALID_SEVERITY,
      `severity must be an integer, got ${severity}`,
    );
  }
  return Math.min(MAX_SEVERITY, Math.max(MIN_SEVERITY, severity));
}

function checkPayloadFormatVersion(version: number): number {
  if (!Number.isInteger(version) || version < 0 || version > MAX_UINT32) {
    throw new TelemetryError(
      ErrorCodes.TELEM_INVALID_PAYLOAD_VERSION,
      `payload format version must be an unsigned 32-bit integer, got ${version}`,
    );
  }
  return version;
}

function checkEventId(id: string): string {
  if (!isValidEventId(id)) {
    throw new TelemetryError(
      ErrorCodes.TELEM_INVALID_EVENT_ID,
      `event id must be ${EVENT_ID_LENGTH} characters of 0123456789abcdef, got ${JSON.stringify(id)}`,
    );
  }
  return id;
}

function newEventId(random: (bytes: number) => Uint8Array): string {
  const bytes = random(EVENT_ID_RANDOM_BYTES);
  if (bytes.length !== EVENT_ID_RANDOM_BYTES) {
    throw new TypeError(`random(${EVENT_ID_RANDOM_BYTES}) returned ${bytes.length} bytes`);
  }
  return Buffer.from(bytes).toString('hex');
}

/** Build a record (C tm_create_record + tm_set_event_id + tm_set_payload). */
export function createRecord(options: CreateRecordOptions): TelemetryRecord {
  validateClassification(options.classification);
  const severity = clampSeverity(options.severity);
  const payloadFormatVersion = checkPayloadFormatVersion(options.payloadFormatVersion ?? 1);
  const eventId = options.eventId === undefined ? newEventId(options.random) : checkEventId(options.eventId);
  if (!Number.isFinite(options.now)) throw new TypeError(`now must be a finite number, got ${options.now}`);
  const { facts } = options;
  const headers: RecordHeaders = {
    record_format_version: String(RECORD_FORMAT_VERSION),
    classification: options.classification,
    severity: String(severity),
    machine_id: MACHINE_ID_PLACEHOLDER,
    creation_timestamp: String(Math.floor(options.now / 1000)),
    arch: facts.arch,
    host_type: facts.host_type,
    build: facts.build,
    kernel_version: facts.kernel_version,
    payload_format_version: String(payloadFormatVersion),
    system_name: facts.system_name,
    board_name: facts.board_name,
    cpu_model: facts.cpu_model,
    bios_version: facts.bios_version,
    event_id: eventId,
  };
  const payload = options.payload === undefined ? Buffer.alloc(0) : toPayload(options.payload);
  return { headers, payload };
}

/** A copy of the record with another payload (C tm_set_payload, minus the truncation). */
export function setPayload(record: TelemetryRecord, payload: string | Uint8Array): TelemetryRecord {
  return { ...record, payload: toPayload(payload) };
}

/** A copy of the record with another event id (C tm_set_event_id). */
export function setEventId(record: TelemetryRecord, eventId: string): TelemetryRecord {
  return { ...record, headers: { ...record.headers, event_id: checkEventId(eventId) } };
}
