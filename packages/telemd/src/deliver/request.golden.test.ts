// Golden tests: requests built from the C frames (test/vectors/socket) must
// match what C telempostd sent (test/vectors/http), except the deliberate
// differences: no extra `\n` after the payload (BUG-18) and, for v3, whole
// values (BUG-15).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeFrame, type RecordHeaders } from '@telemetrics/libtelemetry/wire';
import { readVector } from '../../../../test/helpers/vectors.ts';
import type { TelemRecord } from '../record.ts';
import { buildV2Request } from './request-v2.ts';
import { buildV3Request, chooseApi, escapeJsonCString } from './request-v3.ts';
import { parseTidHeader } from './tid-header.ts';

const TID = parseTidHeader('X-Telemetry-TID: 6907c830-eed9-4ce9-81ae-76daf8d88f0f');

interface CapturedRequest {
  readonly requestLine: string;
  readonly headers: [string, string][];
  readonly body: Buffer;
}

function parseCapture(bytes: Buffer): CapturedRequest {
  const split = bytes.indexOf('\r\n\r\n');
  const head = bytes.subarray(0, split).toString('latin1').split('\r\n');
  const headers = head.slice(1).map((line): [string, string] => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon), line.slice(colon + 2)];
  });
  return { requestLine: head[0]!, headers, body: bytes.subarray(split + 4) };
}

function recordFrom(socketVector: string, machineId: string): TelemRecord {
  const decoded = decodeFrame(readVector(socketVector));
  assert.ok(decoded.ok, `vector ${socketVector} decodes`);
  const headers: RecordHeaders = { ...decoded.value.headers, machine_id: machineId };
  return { headers, payload: Buffer.from(decoded.value.payload), cfgPath: decoded.value.cfgPath };
}

const NAMES = ['hprobe', 'heartbeat', 'special', 'special-cfg', 'payload-8187'];

describe('v2 request matches C v2.3.5 header for header', () => {
  for (const name of NAMES) {
    test(name, () => {
      const capture = parseCapture(readVector(`http/v2.3.5-${name}.request.http`));
      const machineId = capture.headers.find(([n]) => n === 'machine_id')?.[1];
      assert.ok(machineId);
      const record = recordFrom(`socket/v2.3.5-${name}.bin`, machineId);
      const ours = buildV2Request(record, TID);
      // libcurl adds Host, Accept and Content-Length; undici adds Host and Content-Length.
      const expected = capture.headers.filter(([n]) => !['Host', 'Accept', 'Content-Length'].includes(n));
      assert.deepEqual(
        ours.headers.map((h) => [h.name, h.value]),
        expected,
      );
      // Deliberate difference: C's body is the payload plus the LF added at staging (BUG-18).
      assert.equal(capture.body.at(-1), 0x0a);
      assert.deepEqual(ours.body, capture.body.subarray(0, -1));
    });
  }
});

describe('v3 request matches C v2.4.3 except the deliberate fixes', () => {
  for (const name of NAMES) {
    test(name, () => {
      const capture = parseCapture(readVector(`http/v2.4.3-${name}.request.http`));
      const cJson = JSON.parse(capture.body.toString('latin1')) as Record<string, string>;
      const record = recordFrom(`socket/v2.4.3-${name}.bin`, cJson.machine_id!);
      const ours = buildV3Request(record, TID);
      assert.deepEqual(
        ours.headers.map((h) => [h.name, h.value]),
        capture.headers.filter(([n]) => !['Host', 'Accept', 'Content-Length'].includes(n)),
      );
      // C cuts values at the first space (BUG-15) and adds LF to the payload (BUG-18): undo both in C's bytes.
      let fixed = capture.body.toString('latin1');
      fixed = fixed.replace('"cpu_model":"AMD"', `"cpu_model":"${record.headers.cpu_model}"`);
      assert.ok(fixed.endsWith('\\n"}'));
      fixed = `${fixed.slice(0, -'\\n"}'.length)}"}`;
      assert.equal(ours.body.toString('latin1'), fixed);
      const parsed = JSON.parse(ours.body.toString('latin1')) as Record<string, string>;
      assert.deepEqual(Object.keys(parsed), [...Object.keys(record.headers), 'payload']);
      assert.equal(parsed.payload, record.payload.toString('latin1'));
    });
  }

  test('whitespace-controls: json-c escaping byte for byte', () => {
    const capture = parseCapture(readVector('http/v2.4.3-whitespace-controls.request.http'));
    const cJson = JSON.parse(capture.body.toString('latin1')) as Record<string, string>;
    const { payload, ...headers } = cJson;
    const record: TelemRecord = {
      headers: headers as unknown as RecordHeaders,
      payload: Buffer.from(payload!.slice(0, -1), 'latin1'),
    };
    const ours = buildV3Request(record, TID).body.toString('latin1');
    const expected = capture.body.toString('latin1').replace(/\\n"}$/, '"}');
    assert.equal(ours, expected);
  });
});

test('escapeJsonCString: short forms, \\u00xx lowercase, / and DEL kept', () => {
  const input = Buffer.from([0x22, 0x5c, 0x2f, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x00, 0x1f, 0x0b, 0x7f, 0x41]);
  assert.equal(
    escapeJsonCString(input).toString('latin1'),
    '\\"\\\\/\\b\\t\\n\\f\\r\\u0000\\u001f\\u000b\x7fA',
  );
});

test('chooseApi: auto picks v3 only for a /v3/collector path', () => {
  assert.equal(chooseApi('auto', 'https://x.example/v3/collector'), 'v3');
  assert.equal(chooseApi('auto', 'http://127.0.0.1:8080/v2/collector'), 'v2');
  assert.equal(chooseApi('auto', 'http://127.0.0.1:8080/'), 'v2');
  assert.equal(chooseApi('auto', 'not a url'), 'v2');
  assert.equal(chooseApi('v3', 'http://127.0.0.1/v2/collector'), 'v3');
  assert.equal(chooseApi('v2', 'http://127.0.0.1/v3/collector'), 'v2');
});

test('parseTidHeader splits the configured header line', () => {
  assert.deepEqual(parseTidHeader('X-Telemetry-TID: abc'), { name: 'X-Telemetry-TID', value: 'abc' });
  assert.deepEqual(parseTidHeader('X-Telemetry-TID:abc  '), { name: 'X-Telemetry-TID', value: 'abc' });
  assert.equal(parseTidHeader('no colon here'), undefined);
  assert.equal(parseTidHeader('bad name: x'), undefined);
  assert.equal(parseTidHeader('X: a\nb'), undefined);
});
