// telemctl journal against the C journal vectors: same journal and records
// dir -> byte-identical output to C's telemctl journal (TZ=UTC), and exit codes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runTelemctl } from '../helpers/telemctl.ts';
import { readVector, vectorPath } from '../helpers/vectors.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telem-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function writeConfig(dir: string, settings: Record<string, string>): string {
  const file = path.join(dir, 'telemetrics.conf');
  fs.writeFileSync(
    file,
    `[settings]\n${Object.entries(settings)
      .map(([k, v]) => `${k}=${v}\n`)
      .join('')}`,
  );
  return file;
}

const VECTOR_CONFIG = {
  journal_file: vectorPath('journal/journal'),
  record_retention_dir: vectorPath('journal/records'),
};

const GOLDEN: [string, string[]][] = [
  ['telemctl-journal.txt', []],
  ['telemctl-journal-V.txt', ['-V']],
  ['telemctl-journal-i-r.txt', ['-i', '-r', '4a3d62318b542da06f833a9d406da089']],
  ['telemctl-journal-c.txt', ['-c', 'org.clearlinux/hello/world']],
  ['telemctl-journal-c-prefix.txt', ['-c', 'org.clearlinux/*']],
  ['telemctl-journal-V-e.txt', ['-V', '-e', '0123456789abcdeffedcba9876543210']],
  ['telemctl-journal-i.txt', ['-i']],
  ['telemctl-journal-V-b-nomatch.txt', ['-V', '-b', '00000000-0000-0000-0000-000000000000']],
];

for (const [golden, args] of GOLDEN) {
  test(`journal ${args.join(' ') || '(no options)'} is byte-identical to C's ${golden}`, async (t) => {
    const config = writeConfig(tempDir(t), VECTOR_CONFIG);
    const r = await runTelemctl(['-f', config, 'journal', ...args]);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0, 'BUG-42: C always exited 1');
    assert.deepEqual(r.stdoutBytes, readVector(`journal/${golden}`));
  });
}

test('long options and -f after the verb give the same output', async (t) => {
  const config = writeConfig(tempDir(t), VECTOR_CONFIG);
  const r = await runTelemctl([
    'journal',
    '--verbose',
    '--event_id',
    '0123456789abcdeffedcba9876543210',
    '--config_file',
    config,
  ]);
  assert.equal(r.code, 0);
  assert.deepEqual(r.stdoutBytes, readVector('journal/telemctl-journal-V-e.txt'));
});

test('-c with a whole-segment prefix or a trailing "/" lists the class family', async (t) => {
  const config = writeConfig(tempDir(t), VECTOR_CONFIG);
  const prefix = readVector('journal/telemctl-journal-c-prefix.txt');
  for (const c of ['org.clearlinux', 'org.clearlinux/']) {
    const r = await runTelemctl(['-f', config, 'journal', '-c', c]);
    assert.equal(r.code, 0);
    assert.deepEqual(r.stdoutBytes, prefix, c);
  }
  const vectors = await runTelemctl(['-f', config, 'journal', '-c', 'org.example/vectors']);
  assert.equal(vectors.stdout.split('\n').filter(Boolean).length, 2);
  const partial = await runTelemctl(['-f', config, 'journal', '-c', 'org.clear']);
  assert.equal(partial.stdout, '', 'a partial segment is not a prefix');
});

test('--json prints one object per entry, with the payload under -i', async (t) => {
  const config = writeConfig(tempDir(t), VECTOR_CONFIG);
  const r = await runTelemctl(['-f', config, 'journal', '--json', '-V', '-i', '-c', 'org.example/vectors/*']);
  assert.equal(r.code, 0);
  const lines = r.stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(lines[1], {
    record_id: 'bed69aeb75d05097f547e8661d54de24',
    timestamp: 1795319929,
    time: '2026-11-22T03:58:49.000Z',
    classification: 'org.example/vectors/journal',
    event_id: '328ff449ddd2502e8a9bd0425efb415d',
    boot_id: '711d33a8-4861-4099-9edb-08bae7a117b6',
    payload: 'journal sample entry\n\n',
  });
  assert.equal(lines.length, 2);
});

test('only the last 100 entries are considered; a torn last line is ignored', async (t) => {
  const dir = tempDir(t);
  const journal = path.join(dir, 'journal');
  let text = '';
  for (let i = 0; i < 130; i++) {
    text += `${i.toString(16).padStart(32, '0')}\x1e${1795319925 + i}\x1ea/b/c\x1e${'e'.repeat(32)}\x1e${'b'.repeat(36)}\n`;
  }
  fs.writeFileSync(journal, `${text}ffff\x1e17`);
  const r = await runTelemctl(['-f', writeConfig(dir, { journal_file: journal }), 'journal', '-V']);
  assert.equal(r.code, 0);
  const rows = r.stdout.split('\n');
  assert.match(rows[1] ?? '', /^a\/b\/c +Sun 2026-11-22 03:59:15 UTC 0{30}1e /);
  assert.equal(rows.at(-2), 'Total records: 100');
});

test('exit codes: missing journal 0 and empty, unreadable journal 1, bad option 1, non-root 1', async (t) => {
  const dir = tempDir(t);
  const missing = await runTelemctl([
    '-f',
    writeConfig(dir, { journal_file: path.join(dir, 'none') }),
    'journal',
    '-V',
  ]);
  assert.equal(missing.code, 0);
  assert.equal(missing.stdout.split('\n').at(-2), 'Total records: 0');
  const unreadable = await runTelemctl(['-f', writeConfig(dir, { journal_file: dir }), 'journal']);
  assert.equal(unreadable.code, 1);
  assert.equal(unreadable.stderr, 'Unable to open journal\n');
  const bad = await runTelemctl(['journal', '-x']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^telemctl: Unknown option '-x'.*\nTry 'telemctl --help'/);
  const operand = await runTelemctl(['journal', 'extra']);
  assert.equal(operand.code, 1);
  if (process.getuid?.() === 0) {
    const nobody = await runTelemctl(['journal'], { uid: 65534, gid: 65534 });
    assert.equal(nobody.stderr, 'Must be root to run this command. Exiting...\n');
    assert.equal(nobody.code, 1);
  }
});

test('-e or -r that is not 32 lowercase hex digits is an error (exit 1), not an empty listing', async (t) => {
  const config = writeConfig(tempDir(t), VECTOR_CONFIG);
  for (const [flag, value] of [
    ['-e', 'NOTHEX'],
    ['-e', '0123456789ABCDEFFEDCBA9876543210'],
    ['-r', '4a3d62318b542da06f833a9d406da08'],
    ['--event_id', ''],
  ] as const) {
    const r = await runTelemctl(['-f', config, 'journal', flag, value]);
    assert.equal(r.code, 1, `${flag} ${value}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^telemctl: journal: .* must be 32 characters of 0123456789abcdef, not ".*"\n/);
  }
});

test('--dropped lists the side file with the reason as a last column', async (t) => {
  const dir = tempDir(t);
  const journal = path.join(dir, 'journal');
  fs.copyFileSync(vectorPath('journal/journal'), journal);
  fs.writeFileSync(
    `${journal}.dropped`,
    `${'a'.repeat(32)}\x1e1795319925\x1ea/b/c\x1e${'e'.repeat(32)}\x1e${'b'.repeat(36)}\x1espool_full\n`,
  );
  const config = writeConfig(dir, { journal_file: journal });
  const r = await runTelemctl(['-f', config, 'journal', '--dropped', '-V']);
  assert.equal(r.code, 0);
  const rows = r.stdout.split('\n');
  assert.equal(
    rows[1],
    `a/b/c${' '.repeat(26)}Sun 2026-11-22 03:58:45 UTC ${'a'.repeat(32)} ${'e'.repeat(32)} ${'b'.repeat(36)} spool_full`,
  );
  assert.equal(rows[2], 'Total records: 1');
  const json = await runTelemctl(['-f', config, 'journal', '--dropped', '--json']);
  assert.equal(JSON.parse(json.stdout).reason, 'spool_full');
  const main = await runTelemctl(['-f', config, 'journal', '-V']);
  assert.deepEqual(
    main.stdoutBytes,
    readVector('journal/telemctl-journal-V.txt'),
    'the journal itself is unaffected',
  );
});
