// parseHeaderBlock is on telemd's hot path and was rewritten without split();
// it must answer exactly what the plain definition answers, errors included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { HEADER_COUNT, HEADER_NAMES, type HeaderBlockResult, parseHeaderBlock } from './headers.ts';

const seed = Number(process.env['TELEM_FC_SEED'] ?? Date.now() % 2 ** 31);
console.log(`fast-check seed: ${seed} (replay with TELEM_FC_SEED=${seed})`);

/** The definition: split into lines, exactly 15, each `name: value` or `name:` (empty). */
function reference(text: string): HeaderBlockResult {
  if (!text.endsWith('\n')) return { ok: false, detail: 'header block does not end with a newline' };
  const lines = text.slice(0, -1).split('\n');
  if (lines.length !== HEADER_COUNT) {
    return { ok: false, detail: `expected ${HEADER_COUNT} header lines, got ${lines.length}` };
  }
  const out: Record<string, string> = {};
  for (let i = 0; i < HEADER_COUNT; i++) {
    const name = HEADER_NAMES[i]!;
    const line = lines[i]!;
    if (line === `${name}:`) out[name] = '';
    else if (line.startsWith(`${name}: `)) out[name] = line.slice(name.length + 2);
    else return { ok: false, detail: `header line ${i + 1} is not "${name}: <value>"` };
  }
  return { ok: true, headers: out as never };
}

const valueArb = fc.string({ unit: fc.constantFrom('a', ' ', ':', '\n', 'x', '9', '\t'), maxLength: 6 });
// Lines that are mostly right, with the mistakes a hostile or broken probe makes.
const lineArb = (i: number) => {
  const name = HEADER_NAMES[i % HEADER_COUNT]!;
  return fc.oneof(
    { weight: 6, arbitrary: valueArb.map((v) => `${name}: ${v}`) },
    { weight: 1, arbitrary: fc.constant(`${name}:`) },
    { weight: 1, arbitrary: valueArb.map((v) => `${name}:${v}`) },
    { weight: 1, arbitrary: valueArb.map((v) => `${name.slice(0, -1)}: ${v}`) },
    { weight: 1, arbitrary: valueArb.map((v) => `${HEADER_NAMES[(i + 1) % HEADER_COUNT]}: ${v}`) },
    { weight: 1, arbitrary: valueArb },
  );
};
const blockArb = fc
  .integer({ min: 0, max: HEADER_COUNT + 2 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => lineArb(i))))
  .chain((lines) =>
    fc.constantFrom(
      lines.map((l) => `${l}\n`).join(''),
      lines.join('\n'),
      `${lines.map((l) => `${l}\n`).join('')}\n`,
    ),
  );

test('parseHeaderBlock answers exactly what the split() definition answers', () => {
  fc.assert(
    fc.property(blockArb, (text) => {
      assert.deepEqual(parseHeaderBlock(text), reference(text));
    }),
    { seed, numRuns: 3000 },
  );
});

test('parseHeaderBlock: a C block, an empty value without its space, values with ": " kept whole', () => {
  const lines = HEADER_NAMES.map((n) => `${n}: v ${n}: x`);
  lines[7] = 'build:';
  const parsed = parseHeaderBlock(`${lines.join('\n')}\n`);
  assert.ok(parsed.ok);
  assert.equal(parsed.headers.build, '');
  assert.equal(parsed.headers.event_id, 'v event_id: x');
  assert.deepEqual(parseHeaderBlock(`${lines.slice(1).join('\n')}\n`), {
    ok: false,
    detail: 'expected 15 header lines, got 14',
  });
});
