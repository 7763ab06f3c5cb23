import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ErrorCodes, fail, ok, SendError, TelemetryError } from './errors.ts';

test('every error code is permanent (code === key) and listed in docs/error-codes.md', () => {
  const readme = readFileSync(new URL('../../../docs/error-codes.md', import.meta.url), 'utf8');
  for (const [key, code] of Object.entries(ErrorCodes)) {
    assert.equal(key, code);
    assert.ok(
      readme.includes(`\`${code}\``),
      `${code} missing from docs/error-codes.md (node scripts/gen-docs.mjs)`,
    );
  }
});

test('errors carry their code; SendError keeps the errno name', () => {
  const err = new SendError(ErrorCodes.TELEM_SEND_FAILED, 'x', 'EACCES');
  assert.ok(err instanceof TelemetryError);
  assert.equal(err.code, 'TELEM_SEND_FAILED');
  assert.equal(err.syscallCode, 'EACCES');
  assert.deepEqual(ok(1), { ok: true, value: 1 });
  assert.deepEqual(fail(ErrorCodes.TELEM_FRAME_SIZE, 'd'), {
    ok: false,
    code: 'TELEM_FRAME_SIZE',
    detail: 'd',
  });
});
