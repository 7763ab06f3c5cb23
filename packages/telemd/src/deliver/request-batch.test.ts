// The batch contract's formats: the advert, the request element, the per-record results.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { makeRecord } from '../spool/spool.fixtures.ts';
import {
  BATCH_MAX_RECORDS,
  batchable,
  batchBody,
  batchBodyBytes,
  encodeBatchRecord,
  parseBatchAdvert,
  parseBatchResults,
} from './request-batch.ts';

test('advert: path first, parameters in any order, unknown ones ignored', () => {
  assert.deepEqual(parseBatchAdvert('/v2/collector/batch; max-records=500; max-bytes=4194304'), {
    path: '/v2/collector/batch',
    maxRecords: 500,
    maxBytes: 4194304,
  });
  assert.deepEqual(parseBatchAdvert('/b;max-bytes=10;colour=blue;MAX-RECORDS=7'), {
    path: '/b',
    maxRecords: 7,
    maxBytes: 10,
  });
  assert.equal(parseBatchAdvert('/b; max-records=999999')?.maxRecords, BATCH_MAX_RECORDS, 'our ceiling');
  assert.equal(parseBatchAdvert('/b; max-records=0')?.maxRecords, 100, 'nonsense: the modest default');
});

test('advert: only a same-origin absolute path; anything else means no batching', () => {
  for (const bad of [
    undefined,
    '',
    'http://elsewhere/batch',
    '//elsewhere/batch',
    'batch',
    ' ; max-records=5',
    '/a b',
  ])
    assert.equal(parseBatchAdvert(bad), undefined, String(bad));
});

test('a record element: the v2 header values under the collector names, the payload as a string', () => {
  const record = makeRecord(7);
  const element = JSON.parse(encodeBatchRecord('r00007', record)) as {
    id: string;
    headers: Record<string, string>;
    payload: string;
  };
  assert.equal(element.id, 'r00007');
  assert.equal(element.payload, record.payload.toString('utf8'));
  assert.equal(Object.keys(element.headers).length, 15);
  assert.equal(element.headers['Record-Format-Version'], '4');
  assert.equal(element.headers['Event-Id'], record.headers.event_id);
  assert.equal(element.headers['Cpu-Model'], record.headers.cpu_model);
  const body = batchBody([encodeBatchRecord('a', record), encodeBatchRecord('b', record)]);
  assert.equal(JSON.parse(body).records.length, 2);
  const each = Buffer.byteLength(encodeBatchRecord('a', record));
  assert.equal(batchBodyBytes(2 * each, 2), Buffer.byteLength(body));
});

test('a payload that is not UTF-8 is not batchable (it goes one per POST)', () => {
  assert.equal(batchable(makeRecord(1)), true);
  assert.equal(batchable({ ...makeRecord(1), payload: Buffer.from([0x66, 0xff, 0xfe]) }), false);
});

test('results: 201 delivered, 400 refused with the message, anything else retried', () => {
  const answer = JSON.stringify({
    results: [
      { id: 'a', status: 201, record_id: 1 },
      { id: 'b', status: 400, message: 'Classification is invalid' },
      { id: 'c', status: 503 },
      { id: 'x', status: 201 },
    ],
  });
  const parsed = parseBatchResults(answer, ['a', 'b', 'c', 'd', 'e']);
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.outcomes, [
    { kind: 'delivered', status: 201 },
    { kind: 'permanent', reason: 'HTTP 400: Classification is invalid', status: 400 },
    { kind: 'retryable', reason: 'batch entry status 503', status: 503 },
    { kind: 'retryable', reason: 'batch answer does not name this record' },
    { kind: 'retryable', reason: 'batch answer does not name this record' },
  ]);
  assert.equal(parseBatchResults('{"results":{}}', ['a']).ok, false);
  assert.equal(parseBatchResults('<html>', ['a']).ok, false);
  assert.equal(parseBatchResults('null', ['a']).ok, false);
});

test('fuzz: any answer or advert text never throws; a record is delivered only when its own entry says 201', () => {
  const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
  console.log(`request-batch fuzz seed=${seed}`);
  const entry = fc.record(
    {
      id: fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.string()),
      status: fc.oneof(fc.constantFrom(201, 400, 503), fc.anything()),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.json(),
        fc.array(entry).map((results) => JSON.stringify({ results })),
      ),
      (text) => {
        parseBatchAdvert(text);
        const ids = ['a', 'b', 'c'];
        const parsed = parseBatchResults(text, ids);
        if (!parsed.ok) return;
        assert.equal(parsed.outcomes.length, ids.length);
        const results = (JSON.parse(text) as { results: { id?: unknown; status?: unknown }[] }).results;
        parsed.outcomes.forEach((o, i) => {
          if (o.kind === 'delivered') assert.ok(results[i]?.id === ids[i] && results[i]?.status === 201);
        });
      },
    ),
    { seed, numRuns: 500 },
  );
});
