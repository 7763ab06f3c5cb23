// Every tool's --help is one man-page style (scripts/install.mjs renders it as the man page) and
// -V/--version prints "<tool> <version>", exit 0, nothing on stderr. telemctl's -V is the version
// before a command and after most, but "telemctl journal -V" keeps C's meaning (verbose).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_CONFIG } from '@telemetrics/libtelemetry/config';
import { binPath, runBin } from '../helpers/run-bin.ts';
import { TELEMCTL_MAIN } from '../helpers/telemctl.ts';
import { TELEMD_MAIN } from '../helpers/telemd.ts';

const TOOLS = [
  { name: 'telemd', main: TELEMD_MAIN, pkg: 'packages/telemd', usageExit: 1 },
  { name: 'telemctl', main: TELEMCTL_MAIN, pkg: 'packages/telemctl', usageExit: 2 },
  { name: 'hprobe', main: binPath('packages/hprobe/dist/hprobe.mjs'), pkg: 'packages/hprobe', usageExit: 1 },
  {
    name: 'telem-record-gen',
    main: binPath('packages/libtelemetry/dist/bin/telem-record-gen.mjs'),
    pkg: 'packages/libtelemetry',
    usageExit: 2,
  },
  {
    name: 'crashprobe',
    main: binPath('packages/crashprobe/dist/crashprobe.mjs'),
    pkg: 'packages/crashprobe',
    usageExit: 2,
  },
] as const;

const SECTIONS = ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS', 'FILES', 'SEE ALSO'];

function versionOf(pkg: string): string {
  return (JSON.parse(readFileSync(binPath(`${pkg}/package.json`), 'utf8')) as { version: string }).version;
}

for (const tool of TOOLS) {
  test(`${tool.name}: --help and -h, man-page style, exit 0`, async () => {
    for (const flag of ['--help', '-h']) {
      const r = await runBin(tool.main, [flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      const lines = r.stdout.split('\n');
      assert.equal(lines[0], 'NAME');
      assert.match(lines[1]!, new RegExp(`^ {2}${tool.name} - \\S`));
      // Headings at column 0, in this order (others, e.g. SIGNALS, COMMANDS, may sit between).
      const headings = lines.filter((l) => /^[A-Z][A-Z ]*[A-Z]$/.test(l));
      assert.deepEqual(
        headings.filter((h) => SECTIONS.includes(h)),
        SECTIONS,
      );
      assert.match(r.stdout, /^ {2}-V, --version +Print "\S+ VERSION"/m);
      assert.match(r.stdout, /^ {2}-h, --help +Show this help/m);
    }
  });

  test(`${tool.name}: -V and --version print "${tool.name} <version>", exit 0`, async () => {
    for (const flag of ['-V', '--version']) {
      const r = await runBin(tool.main, [flag]);
      assert.deepEqual(r, { code: 0, stdout: `${tool.name} ${versionOf(tool.pkg)}\n`, stderr: '' }, flag);
    }
  });

  test(`${tool.name}: an unknown option is one line plus "Try '${tool.name} --help'", exit ${tool.usageExit}`, async () => {
    const r = await runBin(tool.main, ['--no-such-option']);
    assert.equal(r.code, tool.usageExit);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      `${tool.name}: Unknown option '--no-such-option'\nTry '${tool.name} --help' for more information.\n`,
    );
  });
}

test('telemctl: -V is the version before a command and after most; after "journal" it is C\'s --verbose', async () => {
  const telemctl = TELEMCTL_MAIN;
  const version = `telemctl ${versionOf('packages/telemctl')}\n`;
  for (const argv of [
    ['-V', 'status'],
    ['status', '-V'],
    ['journal', '--version'],
    ['-V', 'journal'],
  ]) {
    const r = await runBin(telemctl, argv);
    assert.deepEqual(r, { code: 0, stdout: version, stderr: '' }, argv.join(' '));
  }
  // journal -V is parsed as its verbose flag: it goes on to read the journal (here a missing one).
  const r = await runBin(telemctl, ['--config_file', '/nonexistent/telemetrics.conf', 'journal', '-V']);
  assert.notEqual(r.stdout, version);
  const help = await runBin(telemctl, ['journal', '--help']);
  assert.match(help.stdout, /^ {2}-V, --verbose /m);
});

test("telemctl: no command prints C's usage (exit 2); a command's --help is man-page style", async () => {
  const telemctl = TELEMCTL_MAIN;
  const none = await runBin(telemctl, []);
  assert.equal(none.code, 2);
  assert.match(none.stdout, /^telemctl - Control actions for telemetry services\n\n {2}stop {6}Stops all/);
  for (const verb of ['stop', 'start', 'restart', 'is-active', 'opt-in', 'opt-out', 'journal', 'status']) {
    const r = await runBin(telemctl, [verb, '--help']);
    assert.equal(r.code, 0);
    assert.match(
      r.stdout,
      new RegExp(`^NAME\\n {2}telemctl ${verb} - \\S.*\\n\\nSYNOPSIS\\n.*\\n\\nDESCRIPTION\\n {2}\\S`),
    );
    assert.match(r.stdout, /^EXIT STATUS$/m);
  }
});

test('telemctl opt-out --help names the directories the shipped tmpfiles.d lists, crash_dir among them', async () => {
  const { code, stdout } = await runBin(TELEMCTL_MAIN, ['opt-out', '--help']);
  assert.equal(code, 0);
  const description = stdout.replace(/\s+/g, ' ');
  assert.doesNotMatch(description, /pstore/, 'no pstore cache: the tmpfiles.d list has none');
  for (const dir of [
    '/var/lib/telemetry',
    '/var/spool/telemetry',
    '/var/spool/telemetry-crash',
    '/var/log/telemetry',
  ]) {
    assert.ok(description.includes(`(${dir})`), `${dir} in:\n${stdout}`);
  }
  assert.match(description, /crash_dir/);
});

test('telemd --help lists the default paths of the files it uses', async () => {
  const { stdout } = await runBin(TELEMD_MAIN, ['--help']);
  const files = stdout.slice(stdout.indexOf('\nFILES\n'), stdout.indexOf('\nSEE ALSO\n'));
  const keys = [
    'socket_path',
    'spool_dir',
    'crash_dir',
    'journal_file',
    'status_file',
    'machine_id_file',
  ] as const;
  for (const key of keys) {
    assert.ok(
      files.includes(`\n  ${DEFAULT_CONFIG[key]}\n      ${key}: `),
      `${key} (${DEFAULT_CONFIG[key]})`,
    );
  }
});
