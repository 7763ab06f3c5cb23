import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readVector } from '../../../../test/helpers/vectors.ts';
import { MAX_CFG_PATH_BYTES, readCfgBlock } from './cfg-block.ts';
import { decodeFrame } from './frame.ts';
import { decodeSpoolFile, encodeSpoolFile } from './spool-file.ts';

const NUL = { byte: 0, name: 'NUL' };
const LF = { byte: 0x0a, name: 'newline' };
const longest = `/${'x'.repeat(MAX_CFG_PATH_BYTES - 1)}`;

test('readCfgBlock: both terminators, the same rules', () => {
  const cases: Array<[string, string, ReturnType<typeof readCfgBlock>]> = [
    ['no block', 'headers...', { ok: true, cfgPath: undefined, next: 0 }],
    ['a path', 'CFG:/etc/x.conf|rest', { ok: true, cfgPath: '/etc/x.conf', next: 16 }],
    ['longest path', `CFG:${longest}|`, { ok: true, cfgPath: longest, next: MAX_CFG_PATH_BYTES + 5 }],
    ['no terminator', 'CFG:/etc/x.conf', { ok: false, detail: 'CFG: block has no %T terminator' }],
    [
      'empty path',
      'CFG:|',
      { ok: false, detail: `CFG: path length 0 out of range 1..${MAX_CFG_PATH_BYTES}` },
    ],
    [
      'too long',
      `CFG:${longest}x|`,
      {
        ok: false,
        detail: `CFG: path length ${MAX_CFG_PATH_BYTES + 1} out of range 1..${MAX_CFG_PATH_BYTES}`,
      },
    ],
    ['relative', 'CFG:etc/x.conf|', { ok: false, detail: 'CFG: path is not absolute' }],
  ];
  for (const terminator of [NUL, LF]) {
    for (const [what, text, want] of cases) {
      const buf = Buffer.from(text.replaceAll('|', String.fromCharCode(terminator.byte)), 'latin1');
      const expected = want.ok ? want : { ok: false, detail: want.detail.replace('%T', terminator.name) };
      assert.deepEqual(readCfgBlock(buf, terminator), expected, `${what} (${terminator.name})`);
    }
  }
  // A terminator at or past `end` (the frame's final NUL) does not count.
  assert.deepEqual(readCfgBlock(Buffer.from('CFG:/x\0', 'latin1'), NUL, 6), {
    ok: false,
    detail: 'CFG: block has no NUL terminator',
  });
});

test('frames and spool files report a bad CFG: block with their own code', () => {
  const frame = readVector('socket/v2.4.3-hprobe-cfg.bin');
  const good = decodeFrame(frame);
  assert.ok(good.ok);
  // Make the path relative: "CFG:/etc..." -> "CFG:xetc...", same length, same framing.
  const relative = Buffer.from(frame);
  relative[8] = 'x'.charCodeAt(0);
  const bad = decodeFrame(relative);
  assert.deepEqual(bad, { ok: false, code: 'TELEM_FRAME_CFG', detail: 'CFG: path is not absolute' });

  const spool = encodeSpoolFile(good.value);
  assert.equal(decodeSpoolFile(spool).ok, true);
  const badSpool = Buffer.from(spool);
  badSpool[4] = 'x'.charCodeAt(0);
  assert.deepEqual(decodeSpoolFile(badSpool), {
    ok: false,
    code: 'TELEM_SPOOL_FORMAT',
    detail: 'CFG: path is not absolute',
  });
});
