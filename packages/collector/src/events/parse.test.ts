import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseNdjson, parseOtlpLogs } from './parse.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('NDJSON: blank lines skipped, CRLF accepted, compact JSON kept; a bad line names itself', () => {
  assert.deepEqual(parseNdjson(enc('{"a": 1}\r\n\n  \n[1, 2]'), 10), { items: ['{"a":1}', '[1,2]'] });
  assert.deepEqual(parseNdjson(enc('1\n{x\n'), 10), { message: 'line 2 is not valid JSON' });
  assert.deepEqual(parseNdjson(enc('1\n2\n3\n'), 2), { message: 'a request holds at most 2 events' });
  assert.deepEqual(parseNdjson(new Uint8Array([0xff, 0x0a]), 2), { message: 'body is not valid UTF-8' });
});

test('OTLP: records with resource service.name; non-string bodies as AnyValue JSON', () => {
  const body = {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        scopeLogs: [
          { logRecords: [{ observedTimeUnixNano: 5, severityNumber: 17, body: { intValue: '3' } }] },
        ],
      },
    ],
  };
  const parsed = parseOtlpLogs(enc(JSON.stringify(body)), 10);
  assert.ok('items' in parsed);
  assert.deepEqual(
    parsed.items.map((r) => [r.serviceName, r.timeUnixNano, r.severityNumber, r.body]),
    [['svc', '5', 17, '{"intValue":"3"}']],
  );
  assert.deepEqual(parseOtlpLogs(enc('[]'), 10), {
    message: 'body is not an ExportLogsServiceRequest object',
  });
  assert.deepEqual(parseOtlpLogs(enc('{}'), 10), { items: [] });
});

test('fuzz: NDJSON and OTLP parsers never throw and respect their caps', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 80 }),
        fc
          .array(
            fc.oneof(
              fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
              fc.string({ maxLength: 8 }),
            ),
            { maxLength: 6 },
          )
          .map((lines) => enc(lines.join('\n'))),
        fc
          .jsonValue({ maxDepth: 6 })
          .map((v) => enc(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [v, v] }] }] }))),
      ),
      (bytes) => {
        const nd = parseNdjson(bytes, 3);
        if ('items' in nd) {
          assert.ok(nd.items.length <= 3);
          for (const item of nd.items) JSON.parse(item);
        }
        const otlp = parseOtlpLogs(bytes, 3);
        if ('items' in otlp) assert.ok(otlp.items.length <= 3);
      },
    ),
    { numRuns: 1000 },
  );
});
