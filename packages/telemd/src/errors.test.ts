import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { TelemetryError } from '@telemetrics/libtelemetry';
import { TelemdError, TelemdErrorCodes } from './errors.ts';

test('every telemd error code is permanent (code === key) and listed in docs/error-codes.md', () => {
  const readme = readFileSync(new URL('../../../docs/error-codes.md', import.meta.url), 'utf8');
  for (const [key, code] of Object.entries(TelemdErrorCodes)) {
    assert.equal(key, code);
    assert.ok(
      readme.includes(`\`${code}\``),
      `${code} missing from docs/error-codes.md (node scripts/gen-docs.mjs)`,
    );
  }
});

test("TelemdError is libtelemetry's coded error with telemd's codes", () => {
  const cause = new Error('ENOTDIR');
  const err = new TelemdError(TelemdErrorCodes.TELEMD_SPOOL_DIR, 'spool directory /x is not usable', {
    cause,
  });
  assert.ok(err instanceof TelemetryError);
  assert.ok(err instanceof Error);
  assert.equal(err.code, 'TELEMD_SPOOL_DIR');
  assert.equal(err.name, 'TelemdError');
  assert.equal(err.message, 'spool directory /x is not usable');
  assert.equal(err.cause, cause);
});
