import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ErrorCodes, fail, ok, SendError, TelemetryError } from './errors.ts';

/** README.md and docs/*.md: the user documentation, wherever a code's section lives. */
function userDocs(): string {
  const docs = new URL('../../../docs/', import.meta.url);
  const pages = existsSync(docs) ? readdirSync(docs).filter((n) => n.endsWith('.md')) : [];
  return [new URL('../../../README.md', import.meta.url), ...pages.map((n) => new URL(n, docs))]
    .map((u) => readFileSync(u, 'utf8'))
    .join('\n');
}

test('every error code is permanent (code === key) and listed in the user docs', () => {
  const text = userDocs();
  for (const [key, code] of Object.entries(ErrorCodes)) {
    assert.equal(key, code);
    assert.ok(text.includes(`\`${code}\``), `${code} missing from README.md and docs/`);
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
