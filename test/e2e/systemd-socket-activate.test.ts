// telemd handed its socket by systemd-socket-activate (the stand-in for
// telemd.socket that runs without systemd as PID 1): the socket must be
// usable by every local user, as telemd.socket's SocketMode=0666 and telemd's
// own socket are. systemd-socket-activate has no mode option; its sockets
// follow its umask (0644 or 0755: connect() needs write permission).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { waitUntil } from '../helpers/poll.ts';
import { startCollector } from '../helpers/collector.ts';
import { lacks } from '../helpers/need.ts';
import { sendFrame, spawnTelemd, tempDir } from '../helpers/telemd.ts';
import { hprobeFrame } from '../helpers/vectors.ts';

const missing =
  spawnSync('systemd-socket-activate', ['--version']).status !== 0 &&
  'systemd-socket-activate is not installed (Debian package systemd)';

test('an activated telemd makes the socket it was handed 0666, so probes of every user can connect', async (t) => {
  if (lacks(t, missing)) return;
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const activated = path.join(dir, 'activated.sock');
  await using collector = await startCollector();
  await using p = await spawnTelemd(
    { server: collector.v2Url },
    { wrap: ['systemd-socket-activate', '-l', activated], args: ['-v'], waitReady: false },
  );
  await p.waitForLog(/Listening on .* as 3/);
  const f = hprobeFrame(1);
  await sendFrame(activated, f.bytes);
  await collector.waitForRecords(1);
  assert.match(p.log(), /telemd started .*activated=true/);
  // telemd changes the mode just after it starts listening, off its start-up path.
  await waitUntil(() => (fs.statSync(activated).mode & 0o777) === 0o666, 'the socket mode 0666', 10_000, 50);
  assert.equal((fs.statSync(activated).mode & 0o777).toString(8), '666');
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
});
