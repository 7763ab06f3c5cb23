// Crash records for tests, as a crash reporter would file them: made-up host facts and an
// event id every byte of which is `fill`, so a test can name the record it made.
//
//   const r = crashRecord({ payload, now: Date.now(), fill: 7 });   // r.headers.event_id = '0707…'
//
// It imports libtelemetry by its package name (not src/), so unit tests in packages/ may use it.
import { createRecord } from '@telemetrics/libtelemetry';

/** Host facts of no machine, with the `|` that joins the parts of host_type and board_name. */
export const TEST_FACTS = {
  arch: 'x86_64',
  host_type: 'a|b|c',
  build: '1',
  kernel_version: '6.6',
  system_name: 'x',
  board_name: 'b|b',
  cpu_model: 'cpu',
  bios_version: 'bios',
} as const;

export function crashRecord(opts: {
  readonly payload: string;
  readonly now: number;
  /** Every byte of the event id. */
  readonly fill: number;
  readonly classification?: string;
}) {
  return createRecord({
    severity: 4,
    classification: opts.classification ?? 'org.telemetrics/node/crash',
    payload: opts.payload,
    facts: TEST_FACTS,
    now: opts.now,
    random: (n) => Buffer.alloc(n, opts.fill),
  });
}
