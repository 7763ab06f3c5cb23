import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openCommandLine, packageVersion, usageErrorText, versionLine } from './cli.ts';

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  name: { type: 'string', short: 'n' },
} as const;

function open(argv: string[], usageExitCode = 2) {
  const out: string[] = [];
  const err: string[] = [];
  const result = openCommandLine(
    {
      prog: 'tool',
      options: OPTIONS,
      help: 'NAME\n  tool - a tool\n',
      version: () => '9.8.7',
      usageExitCode,
    },
    argv,
    { stdout: (t) => out.push(t), stderr: (t) => err.push(t) },
  );
  return { result, stdout: out.join(''), stderr: err.join('') };
}

test('--help and -h print the help, exit 0; --help wins over --version', () => {
  for (const argv of [['--help'], ['-h'], ['-h', '-V'], ['-n', 'x', '--help']]) {
    assert.deepEqual(open(argv), {
      result: { kind: 'exit', code: 0 },
      stdout: 'NAME\n  tool - a tool\n',
      stderr: '',
    });
  }
});

test('-V and --version print "<tool> <version>", exit 0', () => {
  for (const argv of [['-V'], ['--version']]) {
    assert.deepEqual(open(argv), { result: { kind: 'exit', code: 0 }, stdout: 'tool 9.8.7\n', stderr: '' });
  }
  assert.equal(versionLine('a', '1.2.3'), 'a 1.2.3\n');
});

test('a usage error is one line plus the --help pointer on stderr, with the tool exit code', () => {
  const r = open(['--bogus'], 1);
  assert.deepEqual(r.result, { kind: 'exit', code: 1 });
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^tool: Unknown option '--bogus'.*\nTry 'tool --help' for more information\.\n$/);
  assert.equal(open(['extra']).result.kind, 'exit', 'no positionals');
  assert.equal(open(['-n']).stderr.split('\n').length, 3, 'missing argument: two lines');
  assert.equal(usageErrorText('x', 'bad'), "x: bad\nTry 'x --help' for more information.\n");
});

test('otherwise the values, for the tool to run with', () => {
  const r = open(['-n', 'value']);
  assert.equal(r.result.kind, 'run');
  assert.equal(r.result.kind === 'run' ? r.result.values.name : undefined, 'value');
  assert.equal(r.stdout + r.stderr, '');
});

test("packageVersion reads the package's version", () => {
  assert.match(packageVersion(new URL('../package.json', import.meta.url)), /^\d+\.\d+\.\d+/);
});
