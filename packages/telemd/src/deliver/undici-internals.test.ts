// telemd leans on undici internals that are no public API (undici has no exports map): http.ts
// imports two of its files and mixes request() into Pool as undici's index.js does, and
// scripts/bundle.mjs cuts its HTTP/2 client and, through the esbuildDetection global, its Milo
// parser. So undici is pinned to one exact version, and this test says what an upgrade must keep.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';

const require = createRequire(import.meta.url);
const undiciDir = path.dirname(require.resolve('undici/package.json'));
const source = (rel: string) => readFileSync(path.join(undiciDir, rel), 'utf8');

test('undici is pinned to the exact version installed (no range: its internals are used)', () => {
  const telemd = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const pinned: string = telemd.dependencies.undici;
  assert.match(pinned, /^\d+\.\d+\.\d+$/, `packages/telemd/package.json: undici "${pinned}" is a range`);
  assert.equal(JSON.parse(source('package.json')).version, pinned);
});

test('the two files deliver/http.ts imports give a Pool class and the request() mixin', async () => {
  const pool = (await import('undici/lib/dispatcher/pool.js')).default;
  const request = (await import('undici/lib/api/api-request.js')).default;
  assert.equal(typeof pool, 'function');
  assert.equal(typeof pool.prototype.dispatch, 'function');
  assert.equal(typeof request, 'function');
  // undici's index.js puts request() on the Dispatcher prototype; http.ts does the same for Pool.
  assert.match(source('index.js'), /Object\.assign\(Dispatcher\.prototype, api\)/);
  assert.match(source('lib/api/index.js'), /module\.exports\.request = require\('\.\/api-request'\)/);
});

test("scripts/bundle.mjs's cuts still have something to hold on to", () => {
  // The HTTP/2 client is a file the HTTP/1.1 client module requires at load.
  assert.match(source('lib/dispatcher/client.js'), /require\('\.\/client-h2\.js'\)/);
  // Milo is chosen only when undici does not see the esbuildDetection global.
  assert.match(source('lib/dispatcher/client-h1.js'), /esbuildDetection/);
});
