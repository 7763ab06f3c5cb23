import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HELP, OPTIONS, run } from './record-gen.ts';

function io() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: (t: string | Uint8Array) => {
        out.stdout += typeof t === 'string' ? t : Buffer.from(t).toString('latin1');
      },
      stderr: (t: string) => {
        out.stderr += t;
      },
      stdin: (async function* () {})(),
    },
  };
}

test('--help documents every option of the parser table', () => {
  for (const [name, spec] of Object.entries(OPTIONS)) {
    assert.ok(HELP.includes(`--${name}`), `--${name} missing from --help`);
    if ('short' in spec) assert.ok(HELP.includes(`-${spec.short}, --`), `-${spec.short} missing from --help`);
  }
});

test('a missing option argument is a usage error (exit 2, one line + try --help)', async () => {
  const { out, io: cli } = io();
  assert.equal(await run(['-c'], cli), 2);
  assert.match(out.stderr, /^telem-record-gen: .*\nTry 'telem-record-gen --help' for more information\.\n$/);
});

test('-h prints the help and exits 0', async () => {
  const { out, io: cli } = io();
  assert.equal(await run(['-h'], cli), 0);
  assert.equal(out.stdout, HELP);
});
