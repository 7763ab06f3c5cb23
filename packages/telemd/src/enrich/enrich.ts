// The daemon's enrichment of a record whose headers passed the header policy
// (intake/validate.ts): machine_id is always replaced (spec 3.2), host-derived
// headers are refilled from the daemon's host facts when the probe left them
// empty or unusable. Pure: facts and the id are passed in.
import type { HeaderName, RecordHeaders } from '@telemetrics/libtelemetry/wire';
import { type TelemdErrorCode, TelemdErrorCodes } from '../errors.ts';
import { HOST_DERIVED_HEADERS, type HostDerivedHeader, type HostFacts } from './host-facts.ts';

export interface EnrichContext {
  readonly machineId: string;
  readonly hostFacts: HostFacts;
}

export type EnrichResult =
  | { readonly ok: true; readonly headers: RecordHeaders; readonly refilled: readonly HostDerivedHeader[] }
  | { readonly ok: false; readonly code: TelemdErrorCode; readonly detail: string };

// C0 controls and DEL: they would split or corrupt header lines, HTTP headers and spool lines.
export const CONTROL = /[\x00-\x1f\x7f]/;

/** TELEMD_HEADER_VALUE when a host-derived header is unusable and the daemon has no value for it. */
export function enrichHeaders(h: RecordHeaders, context: EnrichContext): EnrichResult {
  const out: { -readonly [K in HeaderName]: string } = { ...h };
  const refilled: HostDerivedHeader[] = [];
  for (const name of HOST_DERIVED_HEADERS) {
    const value = h[name];
    if (value !== '' && !CONTROL.test(value)) continue;
    const fact = context.hostFacts[name];
    if (fact === undefined || fact === '' || CONTROL.test(fact)) {
      return {
        ok: false,
        code: TelemdErrorCodes.TELEMD_HEADER_VALUE,
        detail: `${name} is ${value === '' ? 'empty' : 'not printable'} and the daemon has no host value for it`,
      };
    }
    out[name] = fact;
    refilled.push(name);
  }
  if (context.machineId === '' || CONTROL.test(context.machineId)) {
    // A broken invariant of machine-id.ts, not a client error.
    throw new Error('validateFrame: machineId must be non-empty and printable');
  }
  out.machine_id = context.machineId;
  return { ok: true, headers: out, refilled };
}
