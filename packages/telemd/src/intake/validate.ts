// Strict header policy for a decoded frame, then the daemon's enrichment
// (enrich/enrich.ts: machine_id, host-derived refills). Pure: facts and the id
// are passed in. The classification and event-id rules are libtelemetry's (the
// SDK applies the same ones before sending); telemd keeps its own error codes.
//
// C validated nothing beyond name prefixes (BUG-8) and crashed later on empty
// values (BUG-16); here every value is checked once, at the door.
import { classificationError, isValidEventId } from '@telemetrics/libtelemetry';
import type { DecodedFrame, RecordHeaders } from '@telemetrics/libtelemetry/wire';
import { RECORD_FORMAT_VERSION } from '@telemetrics/libtelemetry/wire';
import { type EnrichContext, enrichHeaders } from '../enrich/enrich.ts';
import type { HostDerivedHeader } from '../enrich/host-facts.ts';
import { type TelemdErrorCode, TelemdErrorCodes } from '../errors.ts';
import type { TelemRecord } from '../record.ts';

export type ValidateContext = EnrichContext;

export type ValidateResult =
  | { readonly ok: true; readonly record: TelemRecord; readonly refilled: readonly HostDerivedHeader[] }
  | { readonly ok: false; readonly code: TelemdErrorCode; readonly detail: string };

const DIGITS = /^[0-9]+$/;

function reject(code: TelemdErrorCode, detail: string): ValidateResult {
  return { ok: false, code, detail };
}

function describe(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
}

/** The header policy alone: why the probe-chosen headers are unusable, or undefined. */
export function checkHeaders(h: RecordHeaders): { code: TelemdErrorCode; detail: string } | undefined {
  if (h.record_format_version !== String(RECORD_FORMAT_VERSION)) {
    return {
      code: TelemdErrorCodes.TELEMD_RECORD_VERSION,
      detail: `record_format_version ${describe(h.record_format_version)} is not ${RECORD_FORMAT_VERSION}`,
    };
  }
  const classError = classificationError(h.classification);
  if (classError !== null) return { code: TelemdErrorCodes.TELEMD_CLASSIFICATION, detail: classError };
  if (!/^[1-4]$/.test(h.severity)) {
    return { code: TelemdErrorCodes.TELEMD_SEVERITY, detail: `severity ${describe(h.severity)} is not 1..4` };
  }
  if (!DIGITS.test(h.creation_timestamp) || h.creation_timestamp.length > 20) {
    return {
      code: TelemdErrorCodes.TELEMD_TIMESTAMP,
      detail: `creation_timestamp ${describe(h.creation_timestamp)} is not decimal seconds`,
    };
  }
  // C formats a uint32 with %u: at most 10 digits.
  if (!DIGITS.test(h.payload_format_version) || h.payload_format_version.length > 10) {
    return {
      code: TelemdErrorCodes.TELEMD_PAYLOAD_VERSION,
      detail: `payload_format_version ${describe(h.payload_format_version)} is not an unsigned integer`,
    };
  }
  if (!isValidEventId(h.event_id)) {
    return {
      code: TelemdErrorCodes.TELEMD_EVENT_ID,
      detail: `event_id ${describe(h.event_id)} is not 32 lowercase hex`,
    };
  }
  return undefined;
}

export function validateFrame(
  frame: Pick<DecodedFrame, 'headers' | 'payload' | 'cfgPath'>,
  context: ValidateContext,
): ValidateResult {
  const bad = checkHeaders(frame.headers);
  if (bad) return reject(bad.code, bad.detail);
  const enriched = enrichHeaders(frame.headers, context);
  if (!enriched.ok) return enriched;
  return {
    ok: true,
    record: { headers: enriched.headers, payload: Buffer.from(frame.payload), cfgPath: frame.cfgPath },
    refilled: enriched.refilled,
  };
}
