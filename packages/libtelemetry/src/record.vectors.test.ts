// Golden tests: createRecord + encodeFrame reproduce the C library's frames
// (test/vectors/socket/*.bin) byte for byte from the same inputs. The
// machine-dependent values (host facts, timestamp, random event id) are taken
// from each vector: the host facts through readHostFacts() on a fake machine
// that looks like the capture machine, so that path is checked too.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  CAPTURE_MACHINE,
  CAPTURE_MACHINE_UNAME,
  writeFakeMachine,
} from '../../../test/helpers/fake-machine.ts';
import { readVector } from '../../../test/helpers/vectors.ts';
import { type HostFacts, readHostFacts } from './host-facts.ts';
import { createRecord } from './record.ts';
import { decodeFrame, encodeFrame } from './wire/frame.ts';

const root = mkdtempSync(join(tmpdir(), 'telem-'));
after(() => rmSync(root, { recursive: true, force: true }));
let facts: HostFacts;

before(async () => {
  writeFakeMachine(root, CAPTURE_MACHINE);
  facts = await readHostFacts({ root, uname: CAPTURE_MACHINE_UNAME });
});

interface Case {
  readonly name: string;
  readonly classification: string;
  readonly severity: number;
  readonly payloadFormatVersion: number;
  readonly payload: (frame: Buffer) => Buffer;
  readonly eventId?: string;
  readonly cfg?: boolean;
}

const HELLO = () => Buffer.from('hello\n');
const cases: Case[] = [
  {
    name: 'hprobe',
    classification: 'org.clearlinux/hello/world',
    severity: 1,
    payloadFormatVersion: 1,
    payload: HELLO,
  },
  {
    name: 'hprobe-cfg',
    classification: 'org.clearlinux/hello/world',
    severity: 1,
    payloadFormatVersion: 1,
    payload: HELLO,
    cfg: true,
  },
  {
    name: 'heartbeat',
    classification: 'org.clearlinux/heartbeat/ping',
    severity: 1,
    payloadFormatVersion: 1,
    // The uptime is the only machine-dependent part of the payload.
    payload: (frame) => {
      const uptime = /uptime: (\d+)\n/.exec(frame.toString('latin1'))?.[1];
      assert.ok(uptime !== undefined);
      return Buffer.from(`hello\nLC_ALL: C.UTF-8\nuptime: ${uptime}\n`);
    },
  },
  ...[false, true].map((cfg) => ({
    name: cfg ? 'special-cfg' : 'special',
    classification: 'org.example/vectors/special-chars',
    severity: 3,
    payloadFormatVersion: 2,
    eventId: '0123456789abcdeffedcba9876543210',
    payload: () => readVector('payloads/special-chars.txt'),
    cfg,
  })),
  ...[8187, 8188, 8192].map((size) => ({
    name: `payload-${size}`,
    classification: 'org.example/vectors/size-limit',
    severity: 1,
    payloadFormatVersion: 1,
    payload: () => readVector(`payloads/size-${size}.txt`),
  })),
];

for (const version of ['v2.3.5', 'v2.4.3']) {
  for (const c of cases) {
    test(`${version}-${c.name}.bin is reproduced byte for byte`, () => {
      const expected = readVector(`socket/${version}-${c.name}.bin`);
      const decoded = decodeFrame(expected);
      assert.ok(decoded.ok);
      const { headers } = decoded.value;
      const record = createRecord({
        severity: c.severity,
        classification: c.classification,
        payloadFormatVersion: c.payloadFormatVersion,
        eventId: c.eventId,
        payload: c.payload(expected),
        facts,
        now: Number(headers.creation_timestamp) * 1000 + 999,
        random: (n) => {
          assert.equal(n, 16);
          return Buffer.from(headers.event_id, 'hex');
        },
      });
      const cfgPath = c.cfg === true ? '/etc/telemetrics/custom.conf' : undefined;
      const frame = encodeFrame({ ...record, cfgPath });
      assert.equal(frame.toString('latin1'), expected.toString('latin1'));
      assert.deepEqual(frame, expected);
    });
  }
}
