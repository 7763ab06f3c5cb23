// The bench harness in its short mode, so it cannot rot: it must finish and write well-formed
// rows. No timing is asserted (figures depend on the machine and its load).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { binPath, runBin } from '../helpers/run-bin.ts';

const RUN = binPath('bench/run.ts');
let dir = '';

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'telem-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Row {
  readonly case: string;
  readonly metric: string | null;
  readonly median: number | null;
  readonly runs: number;
  readonly skipped: string | null;
  readonly commit: string;
  readonly node: string;
  readonly machine: { readonly cores: number; readonly cpuModel: string };
  readonly filesystems: Record<string, string>;
}

async function bench(
  args: readonly string[],
  results: string,
): Promise<{ code: number | null; stdout: string; rows: Row[] }> {
  // the harness needs PATH for cc, git and systemd-socket-activate
  const { code, stdout, stderr } = await runBin(RUN, ['--quick', '--results', results, ...args], {
    env: { PATH: process.env['PATH'] ?? '' },
  });
  if (code !== 0) process.stderr.write(stderr);
  const rows = readFileSync(results, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Row);
  return { code, stdout, rows };
}

function assertWellFormed(rows: readonly Row[]): void {
  assert.ok(rows.length > 0);
  for (const row of rows) {
    assert.match(row.case, /^[A-Za-z0-9.-]+$/);
    assert.match(row.commit, /^([0-9a-f]{40}(\+dirty)?|unknown)$/);
    assert.equal(row.node, process.version);
    assert.ok(row.machine.cores >= 1);
    assert.equal(typeof row.filesystems.tmpfs, 'string');
    if (row.skipped === null) {
      assert.equal(typeof row.metric, 'string', `${row.case} has a metric`);
      assert.ok(Number.isFinite(row.median), `${row.case} ${row.metric} has a finite median`);
      assert.equal(row.runs, 1);
    } else {
      assert.ok(row.skipped.length > 0, `${row.case} says why it was skipped`);
      assert.equal(row.median, null);
    }
  }
}

test('npm run bench --quick completes and writes one well-formed row per metric or skipped case', async () => {
  const { code, stdout, rows } = await bench([], path.join(dir, 'all.jsonl'));
  assert.equal(code, 0);
  assertWellFormed(rows);
  // the floor needs no tool of ours, so it is always measured
  assert.ok(
    rows.some((r) => r.case === 'floor.node-listen' && r.metric === 'idle_rss' && r.skipped === null),
  );
  for (const id of [
    'a.intake.tmpfs.2',
    'b.delivery.tmpfs',
    'e.startup.direct',
    'f.hprobe',
    'g.crashprobe.crashme-g',
  ]) {
    assert.ok(
      rows.some((r) => r.case === id),
      `a row for ${id}`,
    );
  }
  assert.match(stdout, /\| case +\| metric/);
  assert.match(stdout, /Targets \(issues 8 and 15/);
});

test('the sender, sink and spool paths measure a real daemon (the reference daemon)', async () => {
  const { code, rows } = await bench(
    ['--daemon', 'reference', '--only', 'a.intake.tmpfs.2,b.delivery,c.live'],
    path.join(dir, 'reference.jsonl'),
  );
  assert.equal(code, 0);
  assertWellFormed(rows);
  for (const [id, name] of [
    ['a.intake.tmpfs.2', 'spooled_rps'],
    ['b.delivery.tmpfs', 'delivered_rps'],
    ['c.live.tmpfs.2', 'e2e_rps'],
  ]) {
    const row = rows.find((r) => r.case === id && r.metric === name);
    assert.ok(
      row !== undefined && row.skipped === null,
      `${id} ${name} measured: ${JSON.stringify(rows.filter((r) => r.case === id))}`,
    );
    assert.ok((row.median ?? 0) > 0);
  }
});
