import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPayload, localeFromEnv, MAX_PAYLOAD_BYTES, sortBundleNames } from './payload.ts';

test('payload in the C order; the heartbeat vector payload', () => {
  assert.equal(buildPayload({}), 'hello\n');
  assert.equal(
    buildPayload({ locale: 'C.UTF-8', uptimeSeconds: 465.9 }),
    'hello\nLC_ALL: C.UTF-8\nuptime: 465\n',
  );
  assert.equal(buildPayload({ uptimeSeconds: 3 }), 'hello\nuptime: 3\n');
  assert.equal(
    buildPayload({ locale: 'C', uptimeSeconds: 1, bundles: ['a', 'b'] }),
    'hello\nLC_ALL: C\nuptime: 1\n\nBundles (2):\na\nb\n',
  );
  assert.equal(buildPayload({ bundles: [] }), 'hello\n\nBundles (0):\n');
});

test('a bundle list too long for one record is cut to the cap, ending in "\\n..."', () => {
  const bundles = Array.from({ length: 1000 }, (_, i) => `bundle-number-${i}`);
  const payload = buildPayload({ bundles });
  assert.equal(payload.length, MAX_PAYLOAD_BYTES);
  assert.ok(payload.endsWith('\n...'));
  assert.ok(payload.startsWith('hello\n\nBundles (1000):\nbundle-number-0\n'));
});

test('locale like setlocale(LC_ALL, "") reports it', () => {
  assert.equal(localeFromEnv({}), 'C');
  assert.equal(localeFromEnv({ LANG: 'C.UTF-8' }), 'C.UTF-8');
  assert.equal(localeFromEnv({ LANG: 'POSIX' }), 'C');
  assert.equal(localeFromEnv({ LC_ALL: 'de_DE.UTF-8', LANG: 'C', LC_CTYPE: 'fr_FR.UTF-8' }), 'de_DE.UTF-8');
  assert.equal(localeFromEnv({ LC_ALL: '', LANG: 'en_US.UTF-8' }), 'en_US.UTF-8');
  assert.equal(
    localeFromEnv({ LANG: 'C', LC_CTYPE: 'C.UTF-8' }),
    'LC_CTYPE=C.UTF-8;LC_NUMERIC=C;LC_TIME=C;LC_COLLATE=C;LC_MONETARY=C;LC_MESSAGES=C;LC_PAPER=C;LC_NAME=C;LC_ADDRESS=C;LC_TELEPHONE=C;LC_MEASUREMENT=C;LC_IDENTIFICATION=C',
  );
});

test('bundles: dot entries skipped, byte order', () => {
  assert.deepEqual(sortBundleNames(['os-core', '.MoM', 'Zeta', 'editors', '.', 'bootloader']), [
    'Zeta',
    'bootloader',
    'editors',
    'os-core',
  ]);
});
