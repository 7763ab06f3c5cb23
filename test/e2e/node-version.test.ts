// Every entry point run by a node other than 24 says what to do instead of
// failing with a stack trace (the machine's own node is often older: Debian
// bookworm's is 18, this project's CI images carry 20). .ci/run installs
// Debian's nodejs so that an older node is there to try.
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { lacks } from '../helpers/need.ts';

const REPO = path.resolve(import.meta.dirname, '../..');

/** The first node on the machine (not .toolchain's) whose major version is not 24. */
function otherNode(): string | undefined {
  for (const dir of ['/usr/bin', '/usr/local/bin', ...(process.env['PATH'] ?? '').split(':')]) {
    const node = path.join(dir, 'node');
    if (!fs.existsSync(node)) continue;
    const v = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    if (v.status === 0 && !v.stdout.startsWith('24.')) return node;
  }
  return undefined;
}

const ENTRY_POINTS = [
  'packages/telemd/dist/telemd.mjs',
  'packages/hprobe/dist/hprobe.mjs',
  'packages/crashprobe/dist/crashprobe.mjs',
  'packages/telemctl/dist/telemctl.mjs',
  'packages/libtelemetry/dist/bin/telem-record-gen.mjs',
  'scripts/run-tests.mjs',
  'scripts/install.mjs',
  'scripts/bundle.mjs',
  'scripts/check-node.mjs',
];

test('every bin and script run by an older node says it needs Node.js 24 and how to provision it', (t) => {
  const node = otherNode();
  if (node === undefined) {
    lacks(t, 'no node other than 24 on this machine (Debian package nodejs)');
    return;
  }
  for (const entry of ENTRY_POINTS) {
    const r: SpawnSyncReturns<string> = spawnSync(node, [entry, '--version'], {
      cwd: REPO,
      encoding: 'utf8',
    });
    assert.equal(r.status, 1, `${entry}: ${r.stdout}${r.stderr}`);
    assert.match(
      r.stderr,
      /needs Node\.js 24 \(this is v\d+\.[^)]*\); run "bash scripts\/provision-node\.sh"/,
      entry,
    );
    assert.doesNotMatch(r.stderr, /^\s+at /m, `${entry} printed a stack trace`);
    assert.equal(r.stdout, '', entry);
  }
});

test("the bundles' version check runs before any of their chunks' code", () => {
  // A chunk evaluates before the entry that imports it, so each file carries the check.
  for (const dir of ['telemd', 'hprobe', 'crashprobe', 'telemctl']) {
    const chunks = path.join(REPO, 'packages', dir, 'dist', 'chunks', dir);
    if (!fs.existsSync(chunks)) continue;
    for (const f of fs.readdirSync(chunks).filter((n) => n.endsWith('.mjs'))) {
      const head = fs.readFileSync(path.join(chunks, f), 'utf8').slice(0, 400);
      assert.match(head, /^if \(Number\(process\.versions\.node/, `${dir}/${f}`);
    }
  }
});
