import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCodes } from '../errors.ts';
import { escapeValue, parseConfig, unescapeValue } from './parse.ts';
import { DEFAULT_CONFIG, DEFAULT_TID } from './types.ts';

// The C fixtures of tests/check_config.c (spec 14.1), inline.
const EXAMPLE_CONF = `[settings]
server=http://127.0.0.1
socket_path=/tmp/test_telem_socket
spool_dir=/tmp/spool
record_expiry=1200
spool_max_size=1024
spool_process_time=180
record_burst_limit=100
record_window_length = 15
byte_burst_limit=1000
byte_window_length=20
rate_limit_enabled=true
rate_limit_strategy=spool
cainfo=/tmp/cacert.crt
tidheader=X-Telemetry-TID:\\s6907c830-eed9-4ce9-81ae-76daf8d88f0f
daemon_recycling_enabled=true
`;

const EXAMPLE_1_CONF = `${EXAMPLE_CONF}record_retention_enabled=true
record_server_delivery_enabled=false
spool_process_time=900
`;

const EXAMPLE_2_CONF = `[settings]
server=http://127.0.0.1
cainfo=/tmp/cacert.crt
`;

function parseOk(text: string) {
  const result = parseConfig(text, '/t/x.conf');
  assert.ok(result.ok, result.ok ? '' : result.detail);
  return result.value;
}

function parseFail(text: string) {
  const result = parseConfig(text, '/t/x.conf');
  assert.equal(result.ok, false);
  return result as { ok: false; code: string; detail: string };
}

test('check_read_valid_config: example.conf', () => {
  const { config, warnings } = parseOk(EXAMPLE_CONF);
  assert.deepEqual(warnings, []);
  assert.equal(config.server, 'http://127.0.0.1');
  assert.equal(config.socket_path, '/tmp/test_telem_socket');
  assert.equal(config.spool_dir, '/tmp/spool');
  assert.equal(config.record_expiry, 1200);
  assert.equal(config.spool_max_size, 1024);
  assert.equal(config.spool_process_time, 180);
  assert.equal(config.record_burst_limit, 100);
  assert.equal(config.record_window_length, 15);
  assert.equal(config.byte_burst_limit, 1000);
  assert.equal(config.byte_window_length, 20);
  assert.equal(config.rate_limit_enabled, true);
  assert.equal(config.rate_limit_strategy, 'spool');
  assert.equal(config.cainfo, '/tmp/cacert.crt');
  assert.equal(config.tidheader, `X-Telemetry-TID: ${DEFAULT_TID}`);
  assert.equal(config.daemon_recycling_enabled, true);
});

test('check_default_config: an empty file gives the built-in defaults', () => {
  assert.deepEqual(parseOk('').config, DEFAULT_CONFIG);
  assert.deepEqual(parseOk('[settings]\n').config, DEFAULT_CONFIG);
});

test('check_layered_config: example.2.conf sets two keys, the rest are defaults', () => {
  const { config } = parseOk(EXAMPLE_2_CONF);
  assert.deepEqual(config, { ...DEFAULT_CONFIG, server: 'http://127.0.0.1', cainfo: '/tmp/cacert.crt' });
});

test('check_read_valid_config_record_retention_delivery: example.1.conf', () => {
  const { config } = parseOk(EXAMPLE_1_CONF);
  assert.equal(config.record_retention_enabled, true);
  assert.equal(config.record_server_delivery_enabled, false);
  assert.equal(config.spool_process_time, 300, 'last duplicate wins, clamped to 300');
});

test('INI syntax: comments, trims, first "=", no inline comments, escapes', () => {
  const { config } = parseOk(
    [
      '  # comment',
      '; another',
      '',
      '\t[settings]  ',
      ' server \t=  http://h/v2/collector?a=b # not a comment ',
      'cainfo=\\s/x\\\\y\\',
      'spool_dir=/a\\qb\\s',
    ].join('\n'),
  );
  assert.equal(config.server, 'http://h/v2/collector?a=b # not a comment');
  assert.equal(config.cainfo, ' /x\\y');
  assert.equal(config.spool_dir, '/aqb ');
});

test('CRLF files parse (BUG-35: C kept the CR and broke booleans)', () => {
  const { config } = parseOk('[settings]\r\nrate_limit_enabled=false\r\nserver=http://x\r\n');
  assert.equal(config.rate_limit_enabled, false);
  assert.equal(config.server, 'http://x');
});

test('keys outside [settings] are ignored; unknown keys and sections warn', () => {
  const { config, warnings } = parseOk('[other]\nserver=http://no\n[settings]\nbogus=1\nserver=http://yes\n');
  assert.equal(config.server, 'http://yes');
  assert.equal(warnings.length, 2);
  assert.match(warnings[0] ?? '', /^\/t\/x\.conf:1: section \[other\]/);
  assert.match(warnings[1] ?? '', /^\/t\/x\.conf:4: unknown key "bogus"/);
});

test('keys are case-sensitive', () => {
  const { config, warnings } = parseOk('[settings]\nServer=http://x\n');
  assert.equal(config.server, DEFAULT_CONFIG.server);
  assert.equal(warnings.length, 1);
});

test('syntax errors name the file and line', () => {
  const cases: [string, RegExp][] = [
    ['[settings\n', /^\/t\/x\.conf:1: expected closing '\]'/],
    ['[settings]\n\nserver\n', /^\/t\/x\.conf:3: expected key=value/],
    ['server=x\n', /^\/t\/x\.conf:1: key=value outside of a section/],
    ['[settings]\n = x\n', /^\/t\/x\.conf:2: empty key/],
  ];
  for (const [text, re] of cases) {
    const failure = parseFail(text);
    assert.equal(failure.code, ErrorCodes.TELEM_CONFIG_SYNTAX);
    assert.match(failure.detail, re);
  }
});

test('value errors name file, line and key (garbage integers, windows, booleans)', () => {
  const cases: [string, RegExp][] = [
    ['[settings]\nspool_max_size=abc\n', /^\/t\/x\.conf:2: spool_max_size: "abc" is not an integer/],
    ['[settings]\n#x\nrecord_expiry=12abc\n', /^\/t\/x\.conf:3: record_expiry: /],
    ['[settings]\nrecord_window_length=60\n', /^\/t\/x\.conf:2: record_window_length: must be 0\.\.59/],
    ['[settings]\nrate_limit_enabled=yes\n', /^\/t\/x\.conf:2: rate_limit_enabled: requires a boolean/],
  ];
  for (const [text, re] of cases) {
    const failure = parseFail(text);
    assert.equal(failure.code, ErrorCodes.TELEM_CONFIG_VALUE);
    assert.match(failure.detail, re);
  }
});

test('the last duplicate wins, and only its value is checked', () => {
  const { config } = parseOk('[settings]\nrecord_expiry=abc\nrecord_expiry=5\n');
  assert.equal(config.record_expiry, 5);
});

test('an unknown strategy warns and falls back to spool', () => {
  const { config, warnings } = parseOk('[settings]\nrate_limit_strategy=Burn\n');
  assert.equal(config.rate_limit_strategy, 'spool');
  assert.match(warnings[0] ?? '', /:2: rate_limit_strategy: unknown/);
});

test('the result is frozen', () => {
  assert.ok(Object.isFrozen(parseOk(EXAMPLE_CONF).config));
});

test('escapeValue and unescapeValue round-trip', () => {
  for (const s of ['', 'a b', ' lead', 'trail ', 'back\\slash', 'X-Telemetry-TID: x', '\\s']) {
    assert.equal(unescapeValue(escapeValue(s)), s);
  }
  assert.equal(escapeValue('X-Telemetry-TID: x'), 'X-Telemetry-TID:\\sx');
});
