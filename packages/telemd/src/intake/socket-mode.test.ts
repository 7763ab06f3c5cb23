import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unixSocketPath } from './socket-mode.ts';

const PROC_NET_UNIX = `Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01 21745 /run/systemd/private
0000000000000000: 00000002 00000000 00010000 0001 01 30001 @/tmp/abstract
0000000000000000: 00000003 00000000 00000000 0001 03 30002
0000000000000000: 00000002 00000000 00010000 0001 01 30003 /tmp/telem-x/activated.sock
`;

test('unixSocketPath finds the bound file by inode; abstract, unbound and unknown give undefined', () => {
  assert.equal(unixSocketPath(PROC_NET_UNIX, '30003'), '/tmp/telem-x/activated.sock');
  assert.equal(unixSocketPath(PROC_NET_UNIX, '21745'), '/run/systemd/private');
  assert.equal(unixSocketPath(PROC_NET_UNIX, '30001'), undefined);
  assert.equal(unixSocketPath(PROC_NET_UNIX, '30002'), undefined);
  assert.equal(unixSocketPath(PROC_NET_UNIX, '99999'), undefined);
  assert.equal(unixSocketPath('', '30003'), undefined);
});
