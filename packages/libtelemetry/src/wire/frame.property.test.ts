// Property tests (seeded fast-check; the seed is printed so a failure can be
// replayed with TELEM_FC_SEED=<seed>).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ErrorCodes } from '../errors.ts';
import { createRecord } from '../record.ts';
import { decodeFrame, encodeFrame } from './frame.ts';

const seed = Number(process.env['TELEM_FC_SEED'] ?? Date.now() % 2 ** 31);
console.log(`fast-check seed: ${seed} (replay with TELEM_FC_SEED=${seed})`);
const params = { seed, numRuns: 300 };

const printable = (min: number, max: number) =>
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: min,
    maxLength: max,
  });
const segment = (max: number) =>
  fc.string({
    unit: fc
      .integer({ min: 0x20, max: 0x7e })
      .filter((c) => c !== 0x2f)
      .map((c) => String.fromCharCode(c)),
    maxLength: max,
  });
// Host fact values: no LF (it ends a header line), at least one byte.
const fact = printable(1, 60);
const payloadByte = fc.oneof(fc.integer({ min: 0x09, max: 0x0d }), fc.integer({ min: 0x20, max: 0x7e }));

const recordArb = fc.record({
  severity: fc.integer({ min: -10, max: 10 }),
  classification: fc.tuple(segment(41), segment(40), segment(39)).map(([a, b, c]) => `${a}/${b}/${c}`),
  payloadFormatVersion: fc.integer({ min: 0, max: 0xffff_ffff }),
  payload: fc.array(payloadByte, { maxLength: 8192 }).map((a) => Uint8Array.from(a)),
  facts: fc.record({
    arch: fact,
    host_type: fact,
    build: fact,
    kernel_version: fact,
    system_name: fact,
    board_name: fact,
    cpu_model: fact,
    bios_version: fact,
  }),
  now: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  eventBytes: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  cfgPath: fc.option(
    printable(1, 200).map((p) => `/${p}`),
    { nil: undefined },
  ),
});

test('encode/decode round trip for arbitrary valid records', () => {
  fc.assert(
    fc.property(recordArb, (input) => {
      const record = createRecord({ ...input, random: () => input.eventBytes });
      const frame = encodeFrame({ ...record, cfgPath: input.cfgPath });
      const decoded = decodeFrame(frame);
      assert.ok(decoded.ok, decoded.ok ? '' : decoded.detail);
      assert.deepEqual(decoded.value.headers, record.headers);
      assert.deepEqual(Buffer.from(decoded.value.payload), record.payload);
      assert.equal(decoded.value.cfgPath, input.cfgPath);
      assert.equal(decoded.value.framing, 'v2');
      assert.equal(decoded.value.trailingBytes, 0);
    }),
    params,
  );
});

const codes = new Set<string>(Object.values(ErrorCodes));

function checkNeverThrows(bytes: Uint8Array): void {
  const result = decodeFrame(bytes);
  if (!result.ok) assert.ok(codes.has(result.code), `untyped code ${result.code}`);
}

test('decodeFrame on arbitrary bytes never throws and returns a typed code', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), checkNeverThrows), params);
});

test('decodeFrame on mutated valid frames never throws', () => {
  const mutated = fc
    .tuple(
      recordArb,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.nat(),
    )
    .map(([input, flips, cut]) => {
      const record = createRecord({ ...input, random: () => input.eventBytes });
      const frame = encodeFrame({ ...record, cfgPath: input.cfgPath });
      for (const [at, value] of flips) frame[at % frame.length] = value;
      return frame.subarray(0, frame.length - (cut % 4 === 0 ? cut % frame.length : 0));
    });
  fc.assert(fc.property(mutated, checkNeverThrows), { ...params, numRuns: 200 });
});
