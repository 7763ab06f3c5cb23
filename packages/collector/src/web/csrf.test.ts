import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { checkCsrfToken, issueCsrfToken } from './csrf.ts';

const secret = randomBytes(32);

test('a token issued by this process is accepted for a day', () => {
  const t = issueCsrfToken(secret, 1_000_000);
  assert.equal(checkCsrfToken(secret, t, 1_000_000), true);
  assert.equal(checkCsrfToken(secret, t, 1_000_000 + 86_000), true);
  assert.equal(checkCsrfToken(secret, t, 1_000_000 + 86_401), false);
});

test('missing, forged, foreign-secret and malformed tokens are refused', () => {
  const t = issueCsrfToken(secret, 1_000_000);
  assert.equal(checkCsrfToken(secret, undefined, 1_000_000), false);
  assert.equal(checkCsrfToken(secret, '', 1_000_000), false);
  assert.equal(checkCsrfToken(randomBytes(32), t, 1_000_000), false);
  assert.equal(checkCsrfToken(secret, `1000001.${t.split('.')[1]}`, 1_000_001), false);
  assert.equal(checkCsrfToken(secret, 'abc.def', 1_000_000), false);
  assert.equal(checkCsrfToken(secret, `${t}x`, 1_000_000), false);
});
