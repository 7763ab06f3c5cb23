// Payloads come from any probe on the machine: summarising one never throws,
// whatever its bytes, and a report always has its event id and state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatCrashJson, formatCrashLine, formatCrashWhole } from './crashes-format.ts';
import { type CrashEntry, summarize } from './crashes-summary.ts';

const payload = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }),
  fc.string({ maxLength: 500 }).map((s) => Buffer.from(s, 'latin1')),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null', 'latin1')),
  fc
    .record({ error: fc.anything(), resource: fc.anything() })
    .map((v) =>
      Buffer.from(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x)) ?? '', 'latin1'),
    ),
);

test('property: any payload of either kind summarises and prints without throwing', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('org.telemetrics/node/crash', 'org.clearlinux/crash/clr'),
      fc.option(payload, { nil: undefined }),
      fc.integer({ min: 0, max: 4_000_000_000 }),
      (classification, bytes, timestamp) => {
        const entry: CrashEntry = {
          eventId: 'a'.repeat(32),
          classification,
          timestamp,
          state: 'spooled',
          payload: bytes,
        };
        const s = summarize(entry);
        assert.equal(s.eventId, entry.eventId);
        assert.ok(s.frames.length <= 3);
        formatCrashLine(s, 'UTC');
        JSON.parse(formatCrashJson(s, entry));
        formatCrashWhole(entry, 'UTC');
      },
    ),
    { numRuns: 300 },
  );
});
