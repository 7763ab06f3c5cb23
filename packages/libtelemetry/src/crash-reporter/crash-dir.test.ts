// writeCrashFileSync on a real directory: the name, the content and the mode
// a report is left with (crash_dir is shared by every user of the machine).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeCrashFileSync } from './crash-dir.ts';

const base = mkdtempSync(join(tmpdir(), 'crash-dir-'));
after(() => rmSync(base, { recursive: true, force: true }));
let seq = 0;
const EVENT_ID = '0123456789abcdef0123456789abcdef';

function writeWithUmask(umask: number): string {
  const dir = mkdtempSync(join(base, `d${seq++}-`));
  const old = process.umask(umask);
  try {
    return writeCrashFileSync(dir, EVENT_ID, Buffer.from('frame bytes'));
  } finally {
    process.umask(old);
  }
}

test('a report is <event id>.frame with the frame, and no temp file is left', () => {
  const path = writeWithUmask(0o022);
  assert.equal(path.endsWith(`/${EVENT_ID}.frame`), true, path);
  assert.equal(readFileSync(path, 'utf8'), 'frame bytes');
  assert.deepEqual(readdirSync(join(path, '..')), [`${EVENT_ID}.frame`]);
});

test('a report is 0640: its writer and the directory group (telemd) read it, other users do not', () => {
  for (const umask of [0o022, 0o002, 0o077, 0o000]) {
    const mode = statSync(writeWithUmask(umask)).mode & 0o7777;
    assert.equal(mode.toString(8), '640', `umask ${umask.toString(8)}`);
  }
});
