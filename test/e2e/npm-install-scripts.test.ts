// `npm install` ends with no allowScripts warning: every dependency with an
// install script is decided in package.json's allowScripts. esbuild's
// postinstall is denied on purpose: it only swaps esbuild's CLI shim for the
// native binary, and scripts/bundle.mjs uses the JS API, which finds
// @esbuild/linux-x64 by itself (the build passes without the script).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

const REPO = path.resolve(import.meta.dirname, '../..');

test('every dependency install script is approved or denied in package.json (no allowScripts warning)', () => {
  const r = spawnSync('npm', ['install-scripts', 'ls'], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^No packages with unreviewed install scripts\.$/m, r.stdout);
});
