import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs } from 'node:util';
import { HELP, interpretArgs, OPTIONS } from './cli.ts';
import { findPasswdEntry } from './privileges.ts';

const parse = (args: string[]) => interpretArgs(parseArgs({ args, options: OPTIONS, strict: true }).values);

describe('crashprobe options', () => {
  it('the core_pattern command line', () => {
    const r = parse(['-p', 'crashme', '-E', '!usr!bin!crashme', '-s', '11']);
    assert.equal(r.kind, 'run');
    if (r.kind === 'run') {
      assert.equal(r.args.processName, 'crashme');
      assert.equal(r.args.processPath, '!usr!bin!crashme');
      assert.equal(r.args.signal, 11);
    }
  });
  it("both --config-file and C's --config_file spelling", () => {
    for (const opt of ['--config-file', '--config_file', '-f']) {
      const r = parse([opt, '/etc/x.conf', '-p', 'x']);
      assert.equal(r.kind === 'run' ? r.args.configFile : undefined, '/etc/x.conf');
    }
  });
  it("C's errors: missing -p, non-integer -s", () => {
    assert.deepEqual(parse([]), {
      kind: 'c-error',
      message: 'Missing required -p option. See --help output',
    });
    assert.equal(parse(['-p', 'x', '-s', 'abc']).kind, 'c-error');
  });
  it('--help wins over a missing -p (options come first, BUG-43)', () => {
    assert.equal(parse(['-h']).kind, 'help');
    assert.match(HELP, /^ {2}-p, --process-name NAME {2}Name of process for crash report \(required\)$/m);
  });
  it('--map-path needs FROM=TO; --time-budget a positive number', () => {
    assert.equal(parse(['-p', 'x', '--map-path', 'nope']).kind, 'usage');
    assert.equal(parse(['-p', 'x', '--time-budget', '0']).kind, 'usage');
    const r = parse(['-p', 'x', '--map-path', '/usr/bin/x=/tmp/x', '--time-budget', '2.5']);
    assert.equal(r.kind === 'run' ? r.args.pathMap.get('/usr/bin/x') : undefined, '/tmp/x');
    assert.equal(r.kind === 'run' ? r.args.timeBudgetS : undefined, 2.5);
  });
});

describe('passwd lookup', () => {
  const text =
    'root:x:0:0:root:/root:/bin/bash\nbroken:line\ntelemetry:x:998:997::/var/lib/telemetry:/usr/sbin/nologin\n';
  it('finds the user and its primary group; malformed lines are skipped', () => {
    assert.deepEqual(findPasswdEntry(text, 'telemetry'), {
      name: 'telemetry',
      uid: 998,
      gid: 997,
      home: '/var/lib/telemetry',
    });
    assert.equal(findPasswdEntry(text, 'broken'), undefined);
    assert.equal(findPasswdEntry(text, 'nobody'), undefined);
  });
});
