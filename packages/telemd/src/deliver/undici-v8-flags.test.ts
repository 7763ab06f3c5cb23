// deliver/http.ts sets V8 flags at run time (UNDICI_V8_FLAGS). V8 does not throw on a flag it does
// not know: it prints "Error: unrecognized flag" and carries on without it, so a node upgrade that
// drops one would quietly give back ~10 MiB of idle RSS. Real child processes of this node.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { UNDICI_V8_FLAGS } from './http.ts';

function setFlagsOutput(flags: readonly string[]): string {
  const script = `const v8 = require('node:v8'); for (const f of JSON.parse(process.argv[1])) v8.setFlagsFromString(f);`;
  const r = spawnSync(process.execPath, ['-e', script, JSON.stringify(flags)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout + r.stderr;
}

test('this node knows every V8 flag deliver/http.ts sets before undici loads', () => {
  assert.ok(UNDICI_V8_FLAGS.length > 0);
  // the check itself works: an unknown flag is reported
  assert.match(setFlagsOutput(['--telemd-no-such-flag=1']), /unrecognized flag/);
  assert.equal(setFlagsOutput(UNDICI_V8_FLAGS), '');
});
