// Config files are untrusted input: parseConfig must never throw, whatever the
// text, and must answer with a typed code. Seeded; replay with TELEM_FC_SEED.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ErrorCodes } from '../errors.ts';
import { CONFIG_KEYS } from './keys.ts';
import { parseConfig } from './parse.ts';

const seed = Number(process.env['TELEM_FC_SEED'] ?? Date.now() % 2 ** 31);
console.log(`fast-check seed: ${seed} (replay with TELEM_FC_SEED=${seed})`);

const keyName = fc.constantFrom(...CONFIG_KEYS.map((k) => k.key), 'bogus', '');
const noise = fc.string({ maxLength: 20 });
const line = fc.oneof(
  fc.tuple(keyName, fc.constantFrom('=', ' = ', '\t=', ''), noise).map(([k, eq, v]) => `${k}${eq}${v}`),
  fc.constantFrom('[settings]', '[other]', '[settings', '# c', '; c', '', '\r', '\\'),
  noise,
);
const text = fc
  .array(line, { maxLength: 30 })
  .chain((lines) => fc.constantFrom('\n', '\r\n').map((nl) => lines.join(nl)));

test('parseConfig never throws and returns typed results', () => {
  const codes = new Set<string>([ErrorCodes.TELEM_CONFIG_SYNTAX, ErrorCodes.TELEM_CONFIG_VALUE]);
  fc.assert(
    fc.property(fc.oneof(text, fc.string({ maxLength: 400 })), (input) => {
      const result = parseConfig(input, '/f.conf');
      if (result.ok) {
        assert.ok(Object.isFrozen(result.value.config));
        for (const key of CONFIG_KEYS) assert.equal(typeof result.value.config[key.key], typeof key.default);
      } else {
        assert.ok(codes.has(result.code), result.code);
        assert.match(result.detail, /^\/f\.conf:\d+: /);
      }
    }),
    { seed, numRuns: 500 },
  );
});
