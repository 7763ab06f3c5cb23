import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type CrashReport, asciiJson, describeError, encodeCrashPayload } from './payload.ts';

const resource = {
  osName: 'Debian GNU/Linux',
  osVersion: '13',
  architecture: 'x86_64',
  appVersion: '1.2.3',
  'service.name': 'demo',
  source: 'cli',
  cpu: 'Some CPU',
  gpus: [{ model: 'GPU', vendor: 'AMD', vram: '8589934592' }],
};

function report(error: Partial<CrashReport['error']>, context = {}): CrashReport {
  return {
    kind: 'crash',
    error: { name: 'Error', message: 'boom', stack: 'Error: boom\n    at f (/x.js:1:1)', ...error },
    context,
    resource,
    process: { pid: 1, node: 'v24.0.0', uptimeMs: 5 },
  };
}

test('non-ASCII text is escaped and comes back unchanged through JSON.parse', () => {
  const r = report({ message: 'Grüße \u{1F4A5} \u0000 tab\t' }, { model: 'ünï' });
  const payload = encodeCrashPayload(r);
  assert.match(payload, /^[\x20-\x7e]*$/);
  assert.deepEqual(JSON.parse(payload), r);
});

test('a stack too long for 8192 bytes loses its deepest frames first, and says how many', () => {
  const frames = Array.from({ length: 2000 }, (_, i) => `    at frame${i} (/app/file${i}.js:${i}:1)`);
  const payload = encodeCrashPayload(report({ stack: ['Error: boom', ...frames].join('\n') }));
  assert.ok(payload.length <= 8192, `${payload.length}`);
  const parsed = JSON.parse(payload);
  assert.equal(parsed.truncated, true);
  const lines: string[] = parsed.error.stack.split('\n');
  assert.equal(lines[0], 'Error: boom');
  assert.equal(lines[1], frames[0]);
  assert.match(lines.at(-1)!, /^ {4}\.\.\.\(\d+ more lines\)$/);
  // It keeps as many frames as fit: one more would not.
  assert.ok(lines.length > 100, `${lines.length}`);
});

test('a huge message and context are cut too, and the report still parses', () => {
  const big = 'x'.repeat(50_000);
  const payload = encodeCrashPayload(report({ message: big, stack: `Error: ${big}` }, { a: big, b: big }));
  assert.ok(payload.length <= 8192);
  const parsed = JSON.parse(payload);
  assert.equal(parsed.truncated, true);
  assert.ok(parsed.error.message.startsWith('xxx'));
});

test('property: any error text and context give ASCII JSON within 8192 bytes that parses', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: 'binary', maxLength: 20_000 }),
      fc.string({ unit: 'binary', maxLength: 20_000 }),
      fc.dictionary(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 5000 })),
      (message, stack, context) => {
        const payload = encodeCrashPayload(report({ message, stack }, context));
        assert.ok(payload.length <= 8192);
        assert.match(payload, /^[\x20-\x7e]*$/);
        JSON.parse(payload);
      },
    ),
    { numRuns: 200 },
  );
});

test('describeError takes whatever was thrown', () => {
  assert.deepEqual(describeError('text'), { name: '(thrown string)', message: 'text', stack: '' });
  assert.equal(describeError(null).name, '(thrown null)');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.equal(describeError(cyclic).message, '[object Object]');
  const e = new TypeError('bad');
  assert.equal(describeError(e).name, 'TypeError');
  assert.match(describeError(e).stack, /^TypeError: bad\n {4}at /);
});

test('asciiJson escapes lone surrogates and controls as JSON does', () => {
  assert.equal(asciiJson('\ud800\u00e9'), '"\\ud800\\u00e9"');
});
