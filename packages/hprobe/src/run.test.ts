import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HELP, OPTIONS } from './run.ts';

test('--help documents every option of the parser table', () => {
  for (const [name, spec] of Object.entries(OPTIONS)) {
    assert.ok(HELP.includes(`--${name}`), `--${name} missing from --help`);
    if ('short' in spec) assert.ok(HELP.includes(`-${spec.short}, --`), `-${spec.short} missing from --help`);
  }
});
