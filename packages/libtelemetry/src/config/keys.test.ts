import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONFIG_KEYS, findConfigKey, parseStrictInteger } from './keys.ts';
import { DEFAULT_CONFIG } from './types.ts';

test('the key table has exactly one row per TelemetryConfig key, defaults from DEFAULT_CONFIG', () => {
  const names = CONFIG_KEYS.map((k) => k.key);
  assert.equal(new Set(names).size, names.length, 'duplicate rows');
  assert.deepEqual([...names].sort(), Object.keys(DEFAULT_CONFIG).sort());
  for (const key of CONFIG_KEYS) {
    assert.equal(key.default, DEFAULT_CONFIG[key.key], key.key);
    assert.ok(key.doc.length > 0 && !key.doc.includes('\n'), `${key.key} needs a one-line doc`);
  }
});

test('every default passes its own check unchanged', () => {
  for (const key of CONFIG_KEYS) {
    const raw = String(key.default);
    const result = key.parse(raw);
    assert.ok(result.ok, key.key);
    assert.equal(result.value, key.default, key.key);
    assert.equal(result.warning, undefined, key.key);
  }
});

test('integers are parsed strictly: garbage is an error, not 0 (BUG-35)', () => {
  for (const bad of ['abc', '12abc', '', ' 1', '1.5', '0x10', '9223372036854775808']) {
    assert.equal(parseStrictInteger(bad).ok, false, JSON.stringify(bad));
  }
  assert.deepEqual(parseStrictInteger('+42'), { ok: true, value: 42n });
  assert.deepEqual(parseStrictInteger('-9223372036854775808'), { ok: true, value: -9223372036854775808n });
});

const cases: [string, string, unknown][] = [
  ['record_expiry', '-5', -1],
  ['record_expiry', '0', 0],
  ['record_expiry', '9223372036854775807', Number.MAX_SAFE_INTEGER],
  ['spool_max_size', '-1000', -1],
  ['spool_max_size', '1024', 1024],
  ['spool_process_time', '10', 120],
  ['spool_process_time', '900', 300],
  ['spool_process_time', '180', 180],
  ['record_window_length', '0', 0],
  ['record_window_length', '59', 59],
  ['byte_window_length', '1', 1],
  ['record_burst_limit', '-7', -1],
  ['byte_burst_limit', '-2', -1],
  ['byte_burst_limit', '0', 0],
  ['rate_limit_strategy', 'DROP', 'drop'],
  ['rate_limit_strategy', 'Spool', 'spool'],
  ['rate_limit_enabled', 'TRUE', true],
  ['rate_limit_enabled', 'False', false],
  ['rate_limit_enabled', '1', true],
  ['rate_limit_enabled', '0', false],
  ['server_api', 'V2', 'v2'],
  ['server_api', 'auto', 'auto'],
  ['cainfo', '', ''],
];

test('values are normalised exactly like the C getters (spec 9.1)', () => {
  for (const [name, raw, expected] of cases) {
    const result = findConfigKey(name)?.parse(raw);
    assert.ok(result?.ok, `${name}=${raw}`);
    assert.equal(result.value, expected, `${name}=${raw}`);
  }
});

test('out-of-range windows, bad booleans and unknown APIs are errors (BUG-21)', () => {
  const bad: [string, string][] = [
    ['record_window_length', '60'],
    ['record_window_length', '-1'],
    ['byte_window_length', '100'],
    ['rate_limit_enabled', 'yes'],
    ['rate_limit_enabled', '2'],
    ['server_api', 'v4'],
    ['spool_max_size', '12abc'],
  ];
  for (const [name, raw] of bad) {
    const result = findConfigKey(name)?.parse(raw);
    assert.equal(result?.ok, false, `${name}=${raw}`);
  }
});

test('an unknown rate_limit_strategy falls back to spool with a warning, like C', () => {
  const result = findConfigKey('rate_limit_strategy')?.parse('bogus');
  assert.ok(result?.ok);
  assert.equal(result.value, 'spool');
  assert.match(result.warning ?? '', /bogus/);
});

test('server must be http or https with a host and a path; the reason says what is expected', () => {
  const bad: [string, RegExp][] = [
    ['not a url', /not a URL/],
    ['ftp://host/v2/collector', /scheme "ftp:" is not supported/],
    ['file:///var/spool/x', /scheme "file:" is not supported/],
    ['http://user:secret@host/v2/collector', /has credentials/],
    ['https://', /not a URL/],
    ['', /not a URL/],
  ];
  for (const [raw, reason] of bad) {
    const result = findConfigKey('server')?.parse(raw);
    assert.equal(result?.ok, false, `server=${raw}`);
    assert.match(result.ok ? '' : result.reason, reason, raw);
    assert.match(result.ok ? '' : result.reason, /expected http:\/\/host\/path/);
  }
  for (const good of [
    'http://127.0.0.1',
    'http://127.0.0.1/',
    'https://clr.telemetry.intel.com/v3/collector',
    'HTTP://[::1]:8080/v2/collector?x=1',
  ]) {
    const result = findConfigKey('server')?.parse(good);
    assert.ok(result?.ok, good);
    assert.equal(result.value, good);
  }
});

test('a clamped value is said, with the value used; values in range say nothing', () => {
  const said: [string, string, RegExp | undefined][] = [
    ['spool_process_time', '10', /^10 is below the minimum, using 120$/],
    ['spool_process_time', '900', /^900 is above the maximum, using 300$/],
    ['spool_process_time', '180', undefined],
    ['record_expiry', '9223372036854775807', /above the maximum, using 153722867280912930$/],
    ['record_expiry', '-5', undefined],
  ];
  for (const [name, raw, warning] of said) {
    const result = findConfigKey(name)?.parse(raw);
    assert.ok(result?.ok, `${name}=${raw}`);
    if (warning === undefined) assert.equal(result.warning, undefined, `${name}=${raw}`);
    else assert.match(result.warning ?? '', warning, `${name}=${raw}`);
  }
});
