import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { readVector, VECTORS_DIR } from '../../../../test/helpers/vectors.ts';
import { decodeFrame } from './frame.ts';
import { HEADER_NAMES, MAX_PAYLOAD_BYTES, type RecordHeaders } from './headers.ts';
import { decodeSpoolFile, encodeSpoolFile, MAX_SPOOL_FILE_BYTES, spoolFileSize } from './spool-file.ts';

const spoolVectors = readdirSync(`${VECTORS_DIR}/spool`).filter((n) => n.endsWith('.spool'));

test('there are C spool vectors to check', () => {
  assert.ok(spoolVectors.length >= 12, `only ${spoolVectors.length} vectors`);
});

for (const name of spoolVectors) {
  test(`C spool file ${name} decodes and re-encodes byte for byte`, () => {
    const bytes = readVector(`spool/${name}`);
    const decoded = decodeSpoolFile(bytes);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.detail);
    assert.deepEqual(encodeSpoolFile(decoded.value), bytes);
    assert.equal(spoolFileSize(decoded.value), bytes.length);
    // BUG-18: the payload is the probe's payload, not payload + LF.
    const frame = decodeFrame(readVector(`socket/${name.replace(/\.spool$/, '.bin')}`));
    assert.ok(frame.ok);
    assert.deepEqual(decoded.value.payload, frame.value.payload);
    assert.equal(decoded.value.cfgPath, frame.value.cfgPath);
    assert.equal(decoded.value.headers.classification, frame.value.headers.classification);
  });
}

test('hprobe: payload hello LF (the file ends hello LF LF)', () => {
  const decoded = decodeSpoolFile(readVector('spool/v2.4.3-hprobe.spool'));
  assert.ok(decoded.ok);
  assert.equal(decoded.value.payload.toString('latin1'), 'hello\n');
  assert.equal(decoded.value.cfgPath, undefined);
  const cfg = decodeSpoolFile(readVector('spool/v2.4.3-hprobe-cfg.spool'));
  assert.ok(cfg.ok);
  assert.equal(cfg.value.cfgPath, '/etc/telemetrics/custom.conf');
});

const bad: Array<[string, Buffer]> = (() => {
  const good = readVector('spool/v2.4.3-hprobe.spool');
  const special = readVector('spool/v2.4.3-special.spool');
  const text = good.toString('latin1');
  return [
    ['empty file', Buffer.alloc(0)],
    ['truncated in headers', good.subarray(0, 100)],
    // special's payload has no LF of its own, so a lost final byte is visible (for hello LF it is not).
    ['truncated: no final LF', special.subarray(0, special.length - 1)],
    ['headers only, no payload LF', Buffer.from(text.slice(0, text.indexOf('hello')), 'latin1')],
    ['renamed header', Buffer.from(text.replace('arch:', 'arch_foo:'), 'latin1')],
    ['missing space', Buffer.from(text.replace('arch: ', 'arch:'), 'latin1')],
    ['relative CFG path', Buffer.concat([Buffer.from('CFG:etc/x.conf\n'), good])],
    ['empty CFG path', Buffer.concat([Buffer.from('CFG:\n'), good])],
    ['CFG without LF', Buffer.from('CFG:/etc/x.conf')],
    ['NUL in headers', Buffer.from(text.replace('x86_64', 'x86\0_64'), 'latin1')],
    ['oversized payload', Buffer.concat([good, Buffer.alloc(MAX_PAYLOAD_BYTES, 0x61), Buffer.of(0x0a)])],
    ['oversized file', Buffer.alloc(MAX_SPOOL_FILE_BYTES + 1, 0x0a)],
  ];
})();

for (const [what, bytes] of bad) {
  test(`rejects ${what} with TELEM_SPOOL_FORMAT`, () => {
    const r = decodeSpoolFile(bytes);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.code, 'TELEM_SPOOL_FORMAT');
      assert.ok(r.detail.length > 0);
    }
  });
}

const latin1Value = fc
  .array(fc.integer({ min: 0x20, max: 0xff }), { maxLength: 60 })
  .map((codes) => String.fromCharCode(...codes));

const recordArb = fc.record({
  headers: fc.tuple(...HEADER_NAMES.map(() => latin1Value)).map((values) => {
    const h: Record<string, string> = {};
    HEADER_NAMES.forEach((n, i) => {
      h[n] = values[i]!;
    });
    return h as RecordHeaders;
  }),
  payload: fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
  cfgPath: fc.option(
    fc.stringMatching(/^\/[a-z0-9/._-]{1,80}$/).map((s) => s),
    { nil: undefined },
  ),
});

test('property: decode(encode(r)) == r and size matches', () => {
  const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
  console.log(`spool-file round-trip seed=${seed}`);
  fc.assert(
    fc.property(recordArb, (r) => {
      const bytes = encodeSpoolFile(r);
      assert.equal(bytes.length, spoolFileSize(r));
      const back = decodeSpoolFile(bytes);
      assert.ok(back.ok, back.ok ? '' : back.detail);
      assert.deepEqual(back.value.headers, r.headers);
      assert.deepEqual(back.value.payload, r.payload);
      assert.equal(back.value.cfgPath, r.cfgPath);
    }),
    { seed, numRuns: 300 },
  );
});

test('fuzz: mutated and random bytes never throw; results are typed', () => {
  const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
  console.log(`spool-file fuzz seed=${seed}`);
  const base = readVector('spool/v2.4.3-special-cfg.spool');
  const mutated = fc
    .tuple(
      fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.nat(base.length),
    )
    .map(([edits, cut]) => {
      const b = Buffer.from(base.subarray(0, cut));
      for (const [i, v] of edits) if (i < b.length) b[i] = v;
      return b;
    });
  fc.assert(
    fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 2000 })), (bytes) => {
      const r = decodeSpoolFile(bytes);
      if (r.ok) {
        // Whatever decodes must re-encode to the same bytes: no silent normalisation.
        assert.deepEqual(encodeSpoolFile(r.value), Buffer.from(bytes));
      } else {
        assert.equal(r.code, 'TELEM_SPOOL_FORMAT');
      }
    }),
    { seed, numRuns: 2000 },
  );
});
