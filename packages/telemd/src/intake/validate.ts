// Strict header policy for a decoded frame, and the daemon's enrichment:
// machine_id always replaced (spec 3.2), host-derived headers refilled when the
// probe left them empty or unusable. Pure: facts and the id are passed in.
//
// C validated nothing beyond name prefixes (BUG-8) and crashed later on empty
// values (BUG-16); here every value is checked once, at the door.
import type { DecodedFrame, HeaderName, RecordHeaders } from '@telemetrics/libtelemetry/wire';
import {
  EVENT_ID_LENGTH,
  MAX_CLASSIFICATION_LENGTH,
  MAX_CLASSIFICATION_SEGMENT,
  RECORD_FORMAT_VERSION,
} from '@telemetrics/libtelemetry/wire';
import { type TelemdErrorCode, TelemdErrorCodes } from '../errors.ts';
import type { TelemRecord } from '../record.ts';

/**
 * Headers the C library derives from the host (spec 3.1/3.2), so the daemon
 * can supply them when a probe sent them empty or with control characters.
 * Probe-chosen headers (classification, severity, timestamps, versions,
 * event_id) are never invented: a bad one rejects the record.
 */
export const HOST_DERIVED_HEADERS = [
  'arch',
  'host_type',
  'build',
  'kernel_version',
  'system_name',
  'board_name',
  'cpu_model',
  'bios_version',
] as const satisfies readonly HeaderName[];

export type HostDerivedHeader = (typeof HOST_DERIVED_HEADERS)[number];
export type HostFacts = { readonly [K in HostDerivedHeader]?: string | undefined };

export interface ValidateContext {
  readonly machineId: string;
  readonly hostFacts: HostFacts;
}

export type ValidateResult =
  | { readonly ok: true; readonly record: TelemRecord; readonly refilled: readonly HostDerivedHeader[] }
  | { readonly ok: false; readonly code: TelemdErrorCode; readonly detail: string };

// C0 controls and DEL: they would split or corrupt header lines, HTTP headers and spool lines.
const CONTROL = /[\x00-\x1f\x7f]/;
const DIGITS = /^[0-9]+$/;
const EVENT_ID = new RegExp(`^[0-9a-f]{${EVENT_ID_LENGTH}}$`);
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function reject(code: TelemdErrorCode, detail: string): ValidateResult {
  return { ok: false, code, detail };
}

/**
 * C rules (spec 3.3): <= 122 chars, exactly two `/`, segments <= 40 chars; the
 * first segment may be 41 because C's off-by-one lets C probes send that, and
 * records from C probes must be treated as ours. Stricter than C: not empty,
 * printable ASCII only (the rewrite note of 3.3).
 */
export function checkClassification(value: string): string | undefined {
  if (value.length === 0) return 'classification is empty';
  if (value.length > MAX_CLASSIFICATION_LENGTH) {
    return `classification longer than ${MAX_CLASSIFICATION_LENGTH} characters`;
  }
  if (!PRINTABLE_ASCII.test(value)) return 'classification has non-printable or non-ASCII characters';
  const parts = value.split('/');
  if (parts.length !== 3) return 'classification must have exactly two "/"';
  for (let i = 0; i < parts.length; i++) {
    const limit = i === 0 ? MAX_CLASSIFICATION_SEGMENT + 1 : MAX_CLASSIFICATION_SEGMENT;
    if (parts[i]!.length > limit) return `classification segment ${i + 1} longer than ${limit}`;
  }
  return undefined;
}

function describe(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
}

export function validateFrame(
  frame: Pick<DecodedFrame, 'headers' | 'payload' | 'cfgPath'>,
  context: ValidateContext,
): ValidateResult {
  const h = frame.headers;
  if (h.record_format_version !== String(RECORD_FORMAT_VERSION)) {
    return reject(
      TelemdErrorCodes.TELEMD_RECORD_VERSION,
      `record_format_version ${describe(h.record_format_version)} is not ${RECORD_FORMAT_VERSION}`,
    );
  }
  const classError = checkClassification(h.classification);
  if (classError) return reject(TelemdErrorCodes.TELEMD_CLASSIFICATION, classError);
  if (!/^[1-4]$/.test(h.severity)) {
    return reject(TelemdErrorCodes.TELEMD_SEVERITY, `severity ${describe(h.severity)} is not 1..4`);
  }
  if (!DIGITS.test(h.creation_timestamp) || h.creation_timestamp.length > 20) {
    return reject(
      TelemdErrorCodes.TELEMD_TIMESTAMP,
      `creation_timestamp ${describe(h.creation_timestamp)} is not decimal seconds`,
    );
  }
  // C formats a uint32 with %u: at most 10 digits.
  if (!DIGITS.test(h.payload_format_version) || h.payload_format_version.length > 10) {
    return reject(
      TelemdErrorCodes.TELEMD_PAYLOAD_VERSION,
      `payload_format_version ${describe(h.payload_format_version)} is not an unsigned integer`,
    );
  }
  if (!EVENT_ID.test(h.event_id)) {
    return reject(
      TelemdErrorCodes.TELEMD_EVENT_ID,
      `event_id ${describe(h.event_id)} is not 32 lowercase hex`,
    );
  }
  const out: { -readonly [K in HeaderName]: string } = { ...h };
  const refilled: HostDerivedHeader[] = [];
  for (const name of HOST_DERIVED_HEADERS) {
    const value = h[name];
    if (value !== '' && !CONTROL.test(value)) continue;
    const fact = context.hostFacts[name];
    if (fact === undefined || fact === '' || CONTROL.test(fact)) {
      return reject(
        TelemdErrorCodes.TELEMD_HEADER_VALUE,
        `${name} is ${value === '' ? 'empty' : 'not printable'} and the daemon has no host value for it`,
      );
    }
    out[name] = fact;
    refilled.push(name);
  }
  if (context.machineId === '' || CONTROL.test(context.machineId)) {
    // A broken invariant of machine-id.ts, not a client error.
    throw new Error('validateFrame: machineId must be non-empty and printable');
  }
  out.machine_id = context.machineId;
  const headers: RecordHeaders = out;
  return {
    ok: true,
    record: { headers, payload: Buffer.from(frame.payload), cfgPath: frame.cfgPath },
    refilled,
  };
}
