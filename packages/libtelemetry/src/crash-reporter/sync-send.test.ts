// The synchronous sender's verdict reads the daemon's reply with the SDK's own parseReply
// (wire/ack.ts): the same bytes mean the same thing to sendRecord and to a dying process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verdict } from './sync-send.ts';

const bytes = (text: string) => Buffer.from(text, 'latin1');

test('OK after the greeting is sent; a NO is declined; a greeting alone is not sent', () => {
  assert.equal(verdict(bytes('TELEMD/1\nOK\n'), 0), 'sent');
  assert.equal(verdict(bytes('TELEMD/1\nOK\n'), 4), 'sent', 'an answer read before a reset stands');
  assert.equal(verdict(bytes('TELEMD/1\nNO TELEM_SPOOL_FULL spool holds 4096 bytes\n'), 0), 'declined');
  assert.equal(verdict(bytes('TELEMD/1\n'), 0), 'failed');
  assert.equal(verdict(bytes('TELEMD/1\nO'), 4), 'failed');
  assert.equal(verdict(bytes('HTTP/1.1 400\r\n'), 0), 'failed');
});

test('nothing written: a clean close is a daemon that does not acknowledge (C); errors say why not', () => {
  assert.equal(verdict(bytes(''), 0), 'sent');
  assert.equal(verdict(bytes(''), 2), 'no-socket');
  assert.equal(verdict(bytes(''), 3), 'refused');
  assert.equal(verdict(bytes(''), 4), 'failed');
});
