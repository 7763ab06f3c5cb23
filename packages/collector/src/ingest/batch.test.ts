import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BATCH_ADVERTISEMENT, parseBatch, validateBatchRecord } from './batch.ts';
import { DEFAULT_TID } from './validate.ts';

const enc = (v: unknown): Uint8Array =>
  new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

test('the advertisement is the protocol line', () => {
  assert.equal(BATCH_ADVERTISEMENT, '/v2/collector/batch; max-records=500; max-bytes=4194304');
});

test('parseBatch: records in order; whole-request refusals name the problem', () => {
  const ok = parseBatch(enc({ records: [{ id: 'a', headers: { Arch: 'x86_64' }, payload: 'p' }] }));
  assert.deepEqual(ok, { records: [{ id: 'a', headers: [['Arch', 'x86_64']], payload: 'p' }] });
  assert.deepEqual(parseBatch(enc('{')), { status: 400, message: 'batch body is not valid JSON' });
  assert.deepEqual(parseBatch(enc({ records: {} })), {
    status: 400,
    message: 'batch body must be an object with a "records" array',
  });
  assert.equal(
    (parseBatch(enc({ records: [{ id: 'x'.repeat(129), headers: {}, payload: '' }] })) as { status: number })
      .status,
    400,
  );
  assert.equal(
    (parseBatch(enc({ records: [{ id: 'a', headers: { n: 1 }, payload: '' }] })) as { message: string })
      .message,
    'records[0].headers.n is not a string',
  );
  assert.equal(
    (
      parseBatch(
        enc({
          records: Array.from({ length: 501 }, (_, i) => ({ id: String(i), headers: {}, payload: '' })),
        }),
      ) as { status: number }
    ).status,
    413,
  );
});

test('a batch record takes the request TID unless it carries its own', () => {
  const r = { id: 'a', headers: [['X-Telemetry-TID', 'other']] as [string, string][], payload: '' };
  assert.equal(validateBatchRecord(r, DEFAULT_TID, { id: 0, nowSec: 0 }).message, 'Telemetry ID mismatch');
  const s = { id: 'a', headers: [] as [string, string][], payload: '' };
  assert.equal(
    validateBatchRecord(s, DEFAULT_TID, { id: 0, nowSec: 0 }).message,
    'Record-Format-Version is invalid',
  );
});

test('fuzz: parseBatch never throws; every record it returns is well formed', () => {
  const json = fc.jsonValue({ maxDepth: 4 });
  const shaped = fc.record({
    records: fc.array(
      fc.record(
        {
          id: fc.oneof(fc.string({ maxLength: 4 }), fc.integer()),
          headers: fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string(), fc.integer())),
          payload: fc.oneof(fc.string(), fc.constant(null)),
        },
        { requiredKeys: [] },
      ),
      { maxLength: 5 },
    ),
  });
  fc.assert(
    fc.property(fc.oneof(json, shaped, fc.uint8Array({ maxLength: 64 })), (value) => {
      const bytes = value instanceof Uint8Array ? value : enc(value);
      const parsed = parseBatch(bytes);
      if ('records' in parsed) {
        const ids = new Set<string>();
        for (const r of parsed.records) {
          assert.equal(typeof r.id, 'string');
          assert.ok(!ids.has(r.id));
          ids.add(r.id);
          assert.equal(typeof r.payload, 'string');
          for (const [n, v] of r.headers) assert.ok(typeof n === 'string' && typeof v === 'string');
          validateBatchRecord(r, DEFAULT_TID, { id: 0, nowSec: 0 });
        }
      } else {
        assert.ok(parsed.status === 400 || parsed.status === 413);
      }
    }),
    { numRuns: 1000 },
  );
});
