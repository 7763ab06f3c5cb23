import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyStatus, errorBodySummary, parseRetryAfter } from './outcome.ts';

const NOW = Date.UTC(2026, 10, 22, 5, 0, 0);

test('200 and 201 are delivered, as in C', () => {
  assert.deepEqual(classifyStatus(200, undefined, NOW), { kind: 'delivered', status: 200 });
  assert.deepEqual(classifyStatus(201, undefined, NOW), { kind: 'delivered', status: 201 });
});

test('408, 429 and 5xx are retryable, with Retry-After', () => {
  for (const status of [408, 429, 500, 502, 503, 599]) {
    assert.equal(classifyStatus(status, undefined, NOW).kind, 'retryable', String(status));
  }
  assert.deepEqual(classifyStatus(503, '120', NOW), {
    kind: 'retryable',
    reason: 'HTTP 503',
    status: 503,
    retryAfterMs: 120_000,
  });
});

test('404 is a configuration fault: retryable, never a refusal of the record (issue 15)', () => {
  const outcome = classifyStatus(404, undefined, NOW);
  assert.equal(outcome.kind, 'retryable');
  assert.equal(outcome.kind === 'retryable' && outcome.configFault, true);
  assert.match(outcome.kind === 'retryable' ? outcome.reason : '', /server URL path is wrong/);
});

test('other 4xx and 3xx are permanent; other 2xx retryable', () => {
  for (const status of [400, 401, 403, 405, 413, 301, 302, 307]) {
    assert.equal(classifyStatus(status, undefined, NOW).kind, 'permanent', String(status));
  }
  assert.equal(classifyStatus(204, undefined, NOW).kind, 'retryable');
});

test('parseRetryAfter: seconds, HTTP-date, garbage', () => {
  assert.equal(parseRetryAfter('0', NOW), 0);
  assert.equal(parseRetryAfter(' 7 ', NOW), 7000);
  assert.equal(parseRetryAfter(new Date(NOW + 30_000).toUTCString(), NOW), 30_000);
  assert.equal(parseRetryAfter(new Date(NOW - 30_000).toUTCString(), NOW), 0);
  assert.equal(parseRetryAfter('soon', NOW), undefined);
  assert.equal(parseRetryAfter('-5', NOW), undefined);
  assert.equal(parseRetryAfter('', NOW), undefined);
  assert.equal(parseRetryAfter(undefined, NOW), undefined);
});

test('qa: a refusal body is summarised for the log: the collector message, else printable text', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.equal(errorBodySummary(enc('{"message":"Telemetry ID mismatch"}')), 'Telemetry ID mismatch');
  assert.equal(
    errorBodySummary(enc('<html>\n  <p>Bad\tRequest\u00e9</p>\n</html>')),
    '<html> <p>Bad Request </p> </html>',
  );
  assert.equal(errorBodySummary(enc('{"message": 3}')), '{"message": 3}');
  assert.equal(errorBodySummary(enc(' \r\n')), undefined);
  assert.equal(errorBodySummary(enc('x'.repeat(300))), `${'x'.repeat(200)}...`);
});
