import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { pyInt, pyJsonDumps, pyRepr } from './py-compat.ts';
import { parseRecordsQuery } from '../api/records.ts';
import {
  DEFAULT_TID,
  formatTimestamp,
  normalizeHeaders,
  type PostInput,
  type ValidationResult,
  validateV2,
  validateV3,
} from './validate.ts';

/** The v2.3.5 client's header set for a valid record (validation vectors' neutral values). */
const BASE: readonly [string, string][] = [
  ['record_format_version', '4'],
  ['classification', 'org.example/vectors/validation'],
  ['severity', '2'],
  ['machine_id', '0123456789abcdef0123456789abcdef'],
  ['creation_timestamp', '1795320635'],
  ['arch', 'x86_64'],
  ['host_type', 'QEMU|Standard PC (Q35 + ICH9, 2009)|pc-q35-8.2'],
  ['build', '"12"'],
  ['kernel_version', '6.1.0-18-amd64'],
  ['payload_format_version', '1'],
  ['system_name', 'debian'],
  ['board_name', 'no_bn_file|no_bv_file'],
  ['cpu_model', 'AMD EPYC 7B13'],
  ['bios_version', '1.16.3-debian-1.16.3-2'],
  ['event_id', '00112233445566778899aabbccddeeff'],
  ['X-Telemetry-TID', DEFAULT_TID],
  ['Content-Type', 'application/text'],
];
const OPTS = { id: 1, nowSec: 1795320700.25 };

/** BASE with `name` replaced by `value` (undefined: removed), plus any extra pairs. */
function headers(
  changes: Record<string, string | undefined> = {},
  extra: [string, string][] = [],
): PostInput {
  const out: [string, string][] = [];
  for (const [name, value] of BASE) {
    if (!(name in changes)) out.push([name, value]);
    else if (changes[name] !== undefined) out.push([name, changes[name]]);
  }
  return { headers: [...out, ...extra], body: Buffer.from('hello\n') };
}

function message(result: ValidationResult): string | undefined {
  return result.status === 400 ? (JSON.parse(result.body) as { message: string }).message : undefined;
}

describe('validateV2', () => {
  test('accepts the base record and renders the §4.6 JSON', () => {
    const result = validateV2(headers(), OPTS);
    assert.equal(result.status, 201);
    assert.equal(
      result.body,
      '{"arch":"x86_64","bios_version":"1.16.3-debian-1.16.3-2","board_name":"no_bn_file|no_bv_file",' +
        '"build":"12","classification":"org.example/vectors/validation","cpu_model":"AMD EPYC 7B13",' +
        '"event_id":"00112233445566778899aabbccddeeff","external":false,"id":1,"kernel_version":"6.1.0-18-amd64",' +
        '"machine_id":"0123456789abcdef0123456789abcdef","machine_type":"QEMU|Standard PC (Q35 + ICH9, 2009)|pc-q35-8.2",' +
        '"payload":"hello\\n","record_version":4,"severity":2,"ts_capture":"2026-11-22 04:10:35 UTC",' +
        '"ts_reception":"2026-11-22 04:11:40 UTC"}\n',
    );
    assert.equal(result.record?.payload_version, 1);
    assert.equal(result.record?.system_name, 'debian');
  });

  // One row per check of §4.2, in order; each changes one header of BASE.
  const cases: [string, Record<string, string | undefined>, string][] = [
    ['TID missing', { 'X-Telemetry-TID': undefined }, 'Telemetry ID mismatch'],
    ['TID of another case', { 'X-Telemetry-TID': DEFAULT_TID.toUpperCase() }, 'Telemetry ID mismatch'],
    ['version 0', { record_format_version: '0' }, 'Record-Format-Version is invalid'],
    ['version empty', { record_format_version: '' }, 'Record-Format-Version is invalid'],
    ['version superscript', { record_format_version: '\u00b2' }, 'Record-Format-Version is invalid'],
    ['v4 missing arch', { arch: undefined }, 'Record-Format-Version headers are invalid, Arch missing'],
    [
      'v4 missing bios',
      { bios_version: undefined },
      'Record-Format-Version headers are invalid, Bios-Version missing',
    ],
    ['severity 0', { severity: '0' }, 'severity value is out of range'],
    ['severity superscript', { severity: '\u00b2' }, 'severity value is out of range'],
    ['severity -1', { severity: '-1' }, 'severity value is out of range'],
    ['classification 2 parts', { classification: 'a/b' }, 'Classification value is invalid'],
    ['machine id 33', { machine_id: 'a'.repeat(33) }, 'Machine id value is invalid'],
    ['timestamp float', { creation_timestamp: '1.5' }, 'timestamp is invalid'],
    ['timestamp superscript', { creation_timestamp: '17\u00b2' }, 'timestamp is invalid'],
    ['timestamp beyond 9999', { creation_timestamp: '253402300800' }, 'timestamp is invalid'],
    ['arch case', { arch: 'X86_64' }, 'architecture is invalid'],
    ['host type 250', { host_type: 'h'.repeat(250) }, 'host type is invalid'],
    ['kernel no dots', { kernel_version: '6' }, 'kernel version is invalid'],
    ['kernel letter minor', { kernel_version: '6.x.0' }, 'kernel version is invalid'],
    ['board name TAB ok, DEL not', { board_name: 'a\x7f' }, 'board name is invalid'],
    ['cpu model non-ASCII', { cpu_model: 'caf\u00e9' }, 'cpu model is invalid'],
    ['bios 200', { bios_version: 'b'.repeat(200) }, 'BIOS version is invalid'],
    ['event id 33', { event_id: '0'.repeat(33) }, 'Event id is invalid'],
    ['build with slash', { build: '12/1' }, 'Build version has invalid characters'],
    ['build empty after quotes', { build: '""' }, 'Build version has invalid characters'],
    [
      'clear build dotted',
      { system_name: '"clear-linux-os"', build: '1.2' },
      'Clear Linux OS build version has invalid characters',
    ],
    [
      'pfv text',
      { payload_format_version: "it's" },
      `Error parsing payload_format_version, invalid literal for int() with base 10: "it's"`,
    ],
    [
      'pfv too big',
      { payload_format_version: '2147483647' },
      'Payload format version outside of range supported',
    ],
    [
      'pfv underscore (reference: PostgreSQL would reject it)',
      { payload_format_version: '1_0' },
      'Error parsing payload_format_version, invalid input syntax for type integer: "1_0"',
    ],
    [
      'pfv below int4',
      { payload_format_version: '-2147483649' },
      'Payload format version outside of range supported',
    ],
    [
      'pfv absent with version 04 (skips the list)',
      { record_format_version: '04', payload_format_version: undefined },
      "Error parsing payload_format_version, int() argument must be a string, a bytes-like object or a real number, not 'NoneType'",
    ],
    [
      'system name absent with version 04 (upstream 500)',
      { record_format_version: '04', system_name: undefined },
      'Record-Format-Version headers are invalid, System-Name missing',
    ],
    [
      'build absent with version 04 (upstream 500)',
      { record_format_version: '04', build: undefined },
      'Record-Format-Version headers are invalid, Build missing',
    ],
  ];
  for (const [name, change, expected] of cases) {
    test(`400 ${name}`, () => {
      const result = validateV2(headers(change), OPTS);
      assert.equal(message(result), expected);
      assert.equal(result.message, expected);
      assert.equal(result.record, undefined);
      assert.ok(result.body.endsWith('}\n'));
    });
  }

  test('the first failing check wins', () => {
    const result = validateV2(headers({ severity: '9', arch: 'riscv64', 'X-Telemetry-TID': 'x' }), OPTS);
    assert.equal(message(result), 'Telemetry ID mismatch');
    assert.equal(
      message(validateV2(headers({ severity: '9', arch: 'riscv64' }), OPTS)),
      'severity value is out of range',
    );
  });

  test('accepted edge values', () => {
    const ok = (change: Record<string, string | undefined>): ValidationResult => {
      const result = validateV2(headers(change), OPTS);
      assert.equal(result.status, 201, result.body);
      return result;
    };
    assert.equal(ok({ severity: '0004' }).record?.severity, 4);
    assert.equal(ok({ classification: '//' }).record?.classification, '//');
    assert.equal(ok({ machine_id: '' }).record?.machine_id, '');
    assert.equal(ok({ host_type: 'h'.repeat(249) }).record?.machine_type.length, 249);
    assert.equal(ok({ kernel_version: '6.1.x' }).record?.kernel_version, '6.1.x');
    // Python's isdigit takes superscripts; the kernel check only tests, never converts.
    assert.equal(ok({ kernel_version: '6\u00b2.1.0' }).record?.kernel_version, '6\u00b2.1.0');
    assert.equal(ok({ board_name: 'a\tb' }).record?.board_name, 'a\tb');
    assert.equal(ok({ payload_format_version: ' -7 ' }).record?.payload_version, -7);
    assert.equal(ok({ build: "'12.5'" }).record?.build, '12.5');
    assert.equal(ok({ system_name: 'clear-linux-os', build: '"31450"' }).record?.build, '31450');
    assert.equal(
      ok({ creation_timestamp: '253402300799' }).body.includes('"ts_capture":"9999-12-31 23:59:59 UTC"'),
      true,
    );
    const v3 = ok({ record_format_version: '3', event_id: undefined }).record;
    assert.equal(v3?.event_id, 'N/A');
    assert.equal(v3?.record_version, 3);
    const v04 = ok({ record_format_version: '04', board_name: undefined, event_id: 'X' }).record;
    assert.deepEqual([v04?.board_name, v04?.event_id, v04?.record_version], ['N/A', 'N/A', 4]);
  });

  test('header names: any case, _ equals -, duplicates joined with "," (so rejected)', () => {
    const dashed = BASE.map(([n, v]): [string, string] => [n.toUpperCase().replaceAll('_', '-'), v]);
    assert.equal(validateV2({ headers: dashed, body: Buffer.alloc(0) }, OPTS).status, 201);
    assert.deepEqual(
      [
        ...normalizeHeaders([
          ['A_b', '1'],
          ['a-B', '2'],
        ]),
      ],
      [['a-b', '1,2']],
    );
    const dup = validateV2(headers({}, [['Severity', '2']]), OPTS);
    assert.equal(message(dup), 'severity value is out of range');
    const dupEvent = validateV2(headers({}, [['EVENT-ID', '00112233445566778899aabbccddeeff']]), OPTS);
    assert.equal(message(dupEvent), 'Event id is invalid');
  });

  test('X-CLR-External is true only for exactly "true"', () => {
    assert.equal(validateV2(headers({}, [['X-CLR-External', 'true']]), OPTS).record?.external, true);
    assert.equal(validateV2(headers({}, [['X-CLR-External', 'True']]), OPTS).record?.external, false);
  });

  test('payload: UTF-8, else Latin-1; form types store it empty; NUL refused', () => {
    const withBody = (body: Buffer, contentType = 'application/text'): ValidationResult =>
      validateV2({ headers: headers({ 'Content-Type': contentType }).headers, body }, OPTS);
    assert.equal(withBody(Buffer.from('caf\u00e9 \u2713')).record?.payload, 'caf\u00e9 \u2713');
    assert.equal(withBody(Buffer.from([0x63, 0xe9, 0xff])).record?.payload, 'c\u00e9\u00ff');
    assert.equal(withBody(Buffer.from([0xed, 0xa0, 0x80])).record?.payload, '\u00ed\u00a0\u0080');
    assert.equal(withBody(Buffer.from('a=1'), 'application/x-www-form-urlencoded').record?.payload, '');
    assert.equal(withBody(Buffer.from('x'), 'Multipart/Form-Data; boundary=z').record?.payload, '');
    assert.equal(withBody(Buffer.from('a=1'), 'text/plain').record?.payload, 'a=1');
    assert.equal(message(withBody(Buffer.from('a\0b'))), 'Payload contains a NUL character');
  });
});

describe('validateV3', () => {
  const json = (obj: unknown, extra: [string, string][] = []): PostInput => ({
    headers: [['X-Telemetry-TID', DEFAULT_TID], ['Content-Type', 'application/json'], ...extra],
    body: Buffer.from(typeof obj === 'string' ? obj : JSON.stringify(obj)),
  });
  const fields = Object.fromEntries(BASE.filter(([n]) => n !== 'X-Telemetry-TID' && n !== 'Content-Type'));

  test('maps keys to headers, payload to the payload', () => {
    const result = validateV3(json({ ...fields, payload: 'hi\n' }), OPTS);
    assert.equal(result.status, 201, result.body);
    assert.equal(result.record?.payload, 'hi\n');
    assert.equal(result.record?.build, '12');
  });

  test('the TID comes from the HTTP header', () => {
    const noTid: PostInput = { headers: [], body: Buffer.from(JSON.stringify(fields)) };
    assert.equal(message(validateV3(noTid, OPTS)), 'Telemetry ID mismatch');
  });

  test('the same rules apply to the values', () => {
    assert.equal(message(validateV3(json({ ...fields, arch: 'riscv64' }), OPTS)), 'architecture is invalid');
    assert.equal(
      message(validateV3(json({ ...fields, payload: 'a\0' }), OPTS)),
      'Payload contains a NUL character',
    );
    assert.equal(
      message(validateV3(json({ ...fields, classification: 'a\0/b/c' }), OPTS)),
      'Classification contains a NUL character',
    );
  });

  test('unparsable or non-object JSON, and non-string values, give 400', () => {
    assert.equal(message(validateV3(json('{"a":'), OPTS)), 'JSON body is invalid');
    assert.equal(message(validateV3(json('[1]'), OPTS)), 'JSON body is invalid');
    assert.equal(
      message(validateV3({ headers: [], body: Buffer.from([0xff]) }, OPTS)),
      'JSON body is invalid',
    );
    assert.equal(
      message(validateV3(json({ ...fields, severity: 2 }), OPTS)),
      'JSON value of severity is not a string',
    );
  });
});

describe('Python compatibility', () => {
  test('int() and its error text', () => {
    assert.deepEqual(pyInt(' +1_000 '), { ok: true, value: 1000n });
    assert.deepEqual(pyInt('abc'), { ok: false, error: "invalid literal for int() with base 10: 'abc'" });
    assert.equal(pyInt('1__0').ok, false);
    assert.equal(pyInt('_1').ok, false);
    assert.equal(pyInt('').ok, false);
    assert.match((pyInt('9'.repeat(4301)) as { error: string }).error, /^Exceeds the limit \(4300 digits\)/);
    assert.equal(
      (pyInt('x'.repeat(300)) as { error: string }).error.length,
      'invalid literal for int() with base 10: '.length + 200,
    );
  });

  test('repr()', () => {
    assert.equal(pyRepr("it's"), `"it's"`);
    assert.equal(pyRepr(`a'"b`), `'a\\'"b'`);
    assert.equal(pyRepr('\t\x01\u00e9\u00a0\\'), "'\\t\\x01\u00e9\\xa0\\\\'");
  });

  test('jsonify: sorted keys, compact, ensure_ascii', () => {
    assert.equal(
      pyJsonDumps({ b: 1, a: ['\u00e9\u{1f600}\x7f/', true, null] }),
      '{"a":["\\u00e9\\ud83d\\ude00\\u007f/",true,null],"b":1}',
    );
  });

  test('timestamps are formatted from the integer seconds in UTC', () => {
    assert.equal(formatTimestamp(0.999), '1970-01-01 00:00:00 UTC');
    assert.equal(formatTimestamp(1795320635.9), '2026-11-22 04:10:35 UTC');
  });
});

describe('parseRecordsQuery', () => {
  const now = 1_800_000_000;
  const filter = (q: string) => {
    const parsed = parseRecordsQuery(new URLSearchParams(q), now);
    assert.ok('filter' in parsed, JSON.stringify(parsed));
    return parsed.filter;
  };

  test('the default window is 30 days on server time, capped at 30 days', () => {
    assert.equal(filter('').sinceExclusive, now - 30 * 86400);
    assert.equal(filter('created_in_days=100').sinceExclusive, now - 30 * 86400);
    assert.equal(filter('created_in_sec=10').sinceExclusive, now - 10);
    assert.equal(filter('').limit, 1000);
  });

  test('limit is compared with "1000" as a string (upstream B3)', () => {
    assert.deepEqual(parseRecordsQuery(new URLSearchParams('limit=5'), now), {
      message: 'Record limit value is invalid',
    });
    assert.equal(filter('limit=01').limit, 1);
  });

  test('since/until replace the window; event_id and before_id filter', () => {
    const f = filter('since=10&until=20.5&event_id=0123456789abcdef0123456789abcdef&before_id=7');
    assert.equal(f.sinceExclusive, undefined);
    assert.deepEqual([f.since, f.until, f.beforeId], [10, 20.5, 7]);
    assert.deepEqual(parseRecordsQuery(new URLSearchParams('event_id=ABC'), now), {
      message: 'Event id is invalid',
    });
  });
});

test('fuzz: validation never throws and answers 201 only with a complete record', (t) => {
  const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);
  t.diagnostic(`seed ${seed} (FUZZ_SEED=${seed} to replay)`);
  const names = [...BASE.map(([n]) => n), 'X-CLR-External', 'Record-Format-Version', 'SEVERITY'];
  const value = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.constantFrom(
      '4',
      '04',
      '3',
      '1',
      '0',
      '',
      '"12"',
      'x86_64',
      'a/b/c',
      '6.1.0',
      'clear-linux-os',
      DEFAULT_TID,
    ),
    fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 20 }),
  );
  const input = fc.record({
    mutate: fc.array(fc.tuple(fc.constantFrom(...names), fc.option(value, { nil: undefined })), {
      maxLength: 4,
    }),
    extra: fc.array(fc.tuple(fc.constantFrom(...names), value), { maxLength: 2 }),
    body: fc.uint8Array({ maxLength: 64 }),
    v3: fc.boolean(),
  });
  fc.assert(
    fc.property(input, ({ mutate, extra, body, v3 }) => {
      const changed = headers(Object.fromEntries(mutate), extra);
      const result = v3
        ? validateV3({ headers: changed.headers, body }, OPTS)
        : validateV2({ headers: changed.headers, body }, OPTS);
      assert.ok(result.status === 201 || result.status === 400);
      assert.ok(result.body.endsWith('\n'));
      assert.ok(/^[\x20-\x7e]*\n$/.test(result.body), 'ASCII-only JSON');
      const parsed = JSON.parse(result.body) as Record<string, unknown>;
      if (result.status === 201) {
        const r = result.record!;
        assert.ok(r.severity >= 1 && r.severity <= 4);
        assert.ok([1, 2, 3, 4].includes(r.record_version));
        assert.equal(r.classification.split('/').length, 3);
        assert.ok(!r.payload.includes('\0'));
        assert.equal(parsed['payload'], r.payload);
        assert.equal(parsed['id'], OPTS.id);
      } else {
        assert.equal(typeof parsed['message'], 'string');
        assert.equal(result.record, undefined);
      }
    }),
    { seed, numRuns: 2000 },
  );
});
