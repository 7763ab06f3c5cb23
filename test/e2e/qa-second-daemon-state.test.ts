// QA: a second telemd started on a live daemon's socket refused (TELEMD_SOCKET_IN_USE) only after
// it had opened the shared spool and status file: its exit rewrote the status file with its own
// pid (so `telemctl status` said the live daemon was "not running" with zero counters), and its
// spool start-up removed the live daemon's in-progress temp files as "left by another pid".
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { spawnTelemd, waitUntil } from '../helpers/telemd.ts';

function statusPid(file: string): number | undefined {
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { pid?: number }).pid;
  } catch {
    return undefined;
  }
}

test('a second telemd on a live socket refuses without touching the first one’s status file or spool', async () => {
  // No records are sent, so the unroutable server is never contacted.
  await using first = await spawnTelemd({ server: 'http://127.0.0.1:9/v2/collector' });
  const statusFile = path.join(first.dir, 'telemd-status.json');
  const spoolDir = path.join(first.dir, 'spool');
  await waitUntil(() => statusPid(statusFile) === first.child.pid, 'the first daemon’s status file');
  // What the first daemon's spool writer has on disk mid-write.
  const inProgress = path.join(spoolDir, `.tmp-${first.child.pid}-qa`);
  fs.writeFileSync(inProgress, 'half a record');
  const statusBefore = fs.readFileSync(statusFile, 'utf8');

  await using second = await spawnTelemd(
    {
      server: 'http://127.0.0.1:9/v2/collector',
      socket_path: first.socketPath,
      spool_dir: spoolDir,
      status_file: statusFile,
      machine_id_file: path.join(first.dir, 'machine_id'),
      journal_file: path.join(first.dir, 'journal'),
    },
    { waitReady: false },
  );
  assert.equal(await second.exited, 1);
  assert.match(second.log(), /TELEMD_SOCKET_IN_USE/);
  assert.doesNotMatch(second.log(), /spool|machine id/);

  assert.equal(fs.readFileSync(statusFile, 'utf8'), statusBefore);
  assert.ok(fs.existsSync(inProgress), 'the live daemon’s temp file was removed');
  assert.ok(fs.lstatSync(first.socketPath).isSocket());
  assert.equal(first.child.exitCode, null);
});
