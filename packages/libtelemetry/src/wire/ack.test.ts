import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACK_GREETING, encodeAnswer, parseReply } from './ack.ts';

test('parseReply: every way a connection can end', () => {
  const table: Array<[string, ReturnType<typeof parseReply>]> = [
    ['', { kind: 'silent' }],
    ['TELE', { kind: 'unacknowledged' }],
    [ACK_GREETING, { kind: 'unacknowledged' }],
    [`${ACK_GREETING}OK`, { kind: 'unacknowledged' }],
    [`${ACK_GREETING}OK\n`, { kind: 'answered', answer: { ok: true } }],
    [
      `${ACK_GREETING}NO TELEM_SPOOL_FULL spool holds 3 of 2\n`,
      { kind: 'answered', answer: { ok: false, code: 'TELEM_SPOOL_FULL', detail: 'spool holds 3 of 2' } },
    ],
    [
      `${ACK_GREETING}NO TELEM_SHED\n`,
      { kind: 'answered', answer: { ok: false, code: 'TELEM_SHED', detail: '' } },
    ],
    ['HTTP/1.1 400\r\n', { kind: 'garbled', detail: 'unexpected reply "HTTP/1.1 400\\r\\n"' }],
    [`${ACK_GREETING}MAYBE\n`, { kind: 'garbled', detail: 'unexpected answer "MAYBE"' }],
  ];
  for (const [text, expected] of table)
    assert.deepEqual(parseReply(Buffer.from(text, 'latin1')), expected, text);
});

test('encodeAnswer keeps the detail on one printable line and round-trips', () => {
  const bytes = encodeAnswer({ ok: false, code: 'TELEM_SPOOL_IO', detail: 'EIO:\nbad\u0000 disk' });
  assert.equal(bytes.toString('latin1'), 'NO TELEM_SPOOL_IO EIO: bad  disk\n');
  const reply = parseReply(Buffer.concat([Buffer.from(ACK_GREETING), bytes]));
  assert.deepEqual(reply, {
    kind: 'answered',
    answer: { ok: false, code: 'TELEM_SPOOL_IO', detail: 'EIO: bad  disk' },
  });
  assert.equal(encodeAnswer({ ok: true }).toString(), 'OK\n');
});
