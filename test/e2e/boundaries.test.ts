// Two boundaries of the tree (issue 20, item 6), checked on the sources:
// - libtelemetry's public API is its root, ./wire, ./config, ./log and ./crash-reporter (the Node
//   crash reporter alone, for programs that want it without the rest of the SDK); what telemd and telemctl
//   share beyond that (the journal, the callback fs wrappers) is under ./internal/*, which only
//   those two packages and the tests import;
// - dependencies run one way, test/ -> packages/: a unit test in packages/ imports no helper of
//   test/helpers that reaches into a package's src/.
import assert from 'node:assert/strict';
import { globSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (rel: string) => readFileSync(path.join(root, rel), 'utf8');
const specifiers = (text: string) =>
  [...text.matchAll(/\bfrom '([^']+)'|import\('([^']+)'\)/g)].map((m) => m[1] ?? m[2] ?? '');

test('libtelemetry exports its public API and an ./internal/ namespace, nothing else', () => {
  const exports = Object.keys(JSON.parse(read('packages/libtelemetry/package.json')).exports);
  const publicApi = exports.filter((k) => !k.startsWith('./internal/'));
  assert.deepEqual(publicApi.sort(), [
    '.',
    './config',
    './crash-reporter',
    './log',
    './package.json',
    './wire',
  ]);
});

test('only telemd, telemctl and the tests import @telemetrics/libtelemetry/internal/*', () => {
  const offenders = globSync('packages/*/src/**/*.ts', { cwd: root })
    .filter((f) => !/^packages\/(telemd|telemctl|libtelemetry)\//.test(f))
    .filter((f) => specifiers(read(f)).some((s) => s.startsWith('@telemetrics/libtelemetry/internal/')));
  assert.deepEqual(offenders, []);
});

test('no unit test in packages/ imports a test/helpers module that imports a package src/', () => {
  const offenders: string[] = [];
  for (const file of globSync('packages/*/src/**/*.ts', { cwd: root })) {
    for (const spec of specifiers(read(file))) {
      if (!spec.includes('/test/helpers/')) continue;
      const helper = path.relative(root, path.resolve(path.dirname(path.join(root, file)), spec));
      const back = specifiers(read(helper)).filter((s) => /(^|\/)packages\/[^/]+\/src\//.test(s));
      if (back.length > 0) offenders.push(`${file} -> ${helper} -> ${back.join(', ')}`);
    }
  }
  assert.deepEqual(offenders, []);
});
