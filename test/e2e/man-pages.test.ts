// The man pages in man/ are real roff: each renders with groff's man macros without a warning
// (-ww turns every warning on) and through man -l, and every tool plus the config file has one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const mandir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../man');
const pages = readdirSync(mandir).filter((f) => /\.[1-8]$/.test(f));

function has(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

test('man/ holds a page for every tool and for telemetrics.conf', () => {
  assert.deepEqual(pages.sort(), [
    'crashprobe.8',
    'hprobe.1',
    'telem-record-gen.1',
    'telemctl.1',
    'telemd.8',
    'telemetrics-collector.8',
    'telemetrics.conf.5',
  ]);
});

for (const page of pages) {
  test(`${page} renders with groff -man without warnings`, (t) => {
    if (!has('groff')) {
      // CI installs groff (.ci/run): there a missing tool fails instead of skipping.
      if (process.env.CI) assert.fail('groff is not installed (Debian package groff)');
      return t.skip('groff is not installed (Debian package groff)');
    }
    const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', path.join(mandir, page)], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
  });

  test(`${page} renders with man -l`, (t) => {
    if (!has('man')) {
      if (process.env.CI) assert.fail('man is not installed (Debian package man-db)');
      return t.skip('man is not installed (Debian package man-db)');
    }
    const r = spawnSync('man', ['-l', path.join(mandir, page)], {
      encoding: 'utf8',
      env: { ...process.env, MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^NAME$/m);
    assert.match(r.stdout, /^SEE ALSO$/m);
  });
}
