// A spool directory telemd cannot use (cannot be created, not a directory, not writable) stops
// the start with one error line naming the path and the reason, exit 1, before the socket is
// bound; on SIGHUP the reload is refused and the running configuration kept. Before, it was only
// logged and telemd accepted records it could not keep.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startCollector } from '../helpers/collector.ts';
import { sendFrame, spawnTelemd, tempDir } from '../helpers/telemd.ts';
import { hprobeFrame } from '../helpers/vectors.ts';

let seq = 0x5d00;
const frame = () => hprobeFrame(++seq);

function errorLines(log: string): string[] {
  return log.split('\n').filter((l) => /^<[0-3]>/.test(l));
}

async function assertRefused(spoolDir: string, reason: RegExp, wrap?: readonly string[]): Promise<void> {
  await using p = await spawnTelemd({ spool_dir: spoolDir }, { waitReady: false, ...(wrap ? { wrap } : {}) });
  assert.equal(await p.exited, 1, p.log());
  const errors = errorLines(p.log());
  assert.equal(errors.length, 1, `exactly one error line:\n${p.log()}`);
  assert.ok(errors[0]!.startsWith(`<3>spool directory ${spoolDir} is not usable: `), errors[0]);
  assert.match(errors[0]!, reason);
  assert.match(errors[0]!, / code=TELEMD_SPOOL_DIR$/);
  assert.doesNotMatch(p.log(), /telemd started/);
  assert.equal(fs.existsSync(p.socketPath), false, 'refused before the socket is bound');
  assert.equal(fs.existsSync(path.join(p.dir, 'telemd-status.json')), false, 'no status file left behind');
}

test('a spool_dir whose parent is a regular file: exit 1, one line with the path and ENOTDIR', async (t) => {
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'file'), 'not a directory\n');
  await assertRefused(path.join(dir, 'file', 'spool'), /a parent of it is not a directory \(ENOTDIR\)/);
});

test('a spool_dir that is a regular file: exit 1, one line with the path and EEXIST', async (t) => {
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'spool');
  fs.writeFileSync(file, 'not a directory\n');
  await assertRefused(file, /it exists and is not a directory \(EEXIST\)/);
  assert.equal(fs.readFileSync(file, 'utf8'), 'not a directory\n', 'the file is left alone');
});

test('a spool_dir that is not writable: exit 1, one line with the path and the reason', async (t) => {
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.chmodSync(dir, 0o755);
  const spool = path.join(dir, 'spool');
  fs.mkdirSync(spool, { mode: 0o555 });
  if (process.getuid?.() !== 0) {
    // Modes stop everyone but root.
    await assertRefused(spool, /permission denied \(EACCES\)/);
    return;
  }
  // Root ignores modes: make the directory a read-only bind mount, inside a private mount
  // namespace of the child only (it goes away with the child; nothing to clean up on the host).
  const confine = [
    'sh',
    '-c',
    'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" && shift && exec "$@"',
  ];
  const probe = spawnSync(
    'unshare',
    ['--mount', '--propagation', 'private', ...confine, 'sh', spool, 'true'],
    {
      encoding: 'utf8',
    },
  );
  if (probe.status !== 0) {
    t.skip(
      `root, and no private mount namespace for a read-only mount: ${(probe.stderr || probe.error?.message) ?? ''}`,
    );
    return;
  }
  await assertRefused(spool, /read-only file system \(EROFS\)/, [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    ...confine,
    'sh',
    spool,
  ]);
});

test('SIGHUP to an unusable spool_dir: reload refused, the running spool keeps working', async (t) => {
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'file'), '');
  const bad = path.join(dir, 'file', 'spool');
  await using first = await startCollector();
  await using second = await startCollector();
  await using p = await spawnTelemd({ server: first.v2Url });
  p.rewriteConfig({ server: second.v2Url, spool_dir: bad });
  p.child.kill('SIGHUP');
  const line = await p.waitForLog(/^<3>reload failed; keeping the current configuration/);
  assert.match(line, /code=TELEMD_SPOOL_DIR/);
  assert.ok(line.includes(`spool directory ${bad} is not usable: a parent of it is not a directory`), line);
  const f = frame();
  await sendFrame(p.socketPath, f.bytes);
  const [record] = await first.waitForRecords(1);
  assert.equal(record!.event_id, f.event_id, 'the old configuration (first server) is still in use');
  assert.equal(second.records.length, 0);
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
});
