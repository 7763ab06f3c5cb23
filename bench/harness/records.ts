// Records the benches send and spool: V4 headers, socket frames, C spool files. Pure apart from
// the injected clock and randomness.
import { encodeFrame, HEADER_NAMES, type RecordHeaders } from '@telemetrics/libtelemetry/wire';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';

export type Random = () => number;

function pick(alphabet: string, length: number, random: Random): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

export function benchHeaders(nowSeconds: number, random: Random, machineId = 'FFFFFFFF'): RecordHeaders {
  return {
    record_format_version: '4',
    classification: 'org.clearlinux/bench/record',
    severity: '1',
    machine_id: machineId,
    creation_timestamp: String(nowSeconds),
    arch: 'x86_64',
    host_type: 'bench|bench|bench',
    build: '41000',
    kernel_version: '6.6.8-1364.native',
    payload_format_version: '1',
    system_name: 'clear-linux-os',
    board_name: 'bench|bench',
    cpu_model: 'bench cpu',
    bios_version: 'bench',
    event_id: pick(HEX, 32, random),
  };
}

export function benchPayload(index: number): Buffer {
  return Buffer.from(`bench record ${index}: hello from the telemetrics benchmark harness\n`, 'latin1');
}

/** One socket frame (framing v2) as a C probe sends it. */
export function benchFrame(index: number, nowSeconds: number, random: Random): Buffer {
  return encodeFrame({ headers: benchHeaders(nowSeconds, random), payload: benchPayload(index) });
}

/** A spool file exactly as C telemprobd stage_record() writes it (spec 7.2): headers, payload, "\n". */
export function cSpoolFile(index: number, nowSeconds: number, random: Random): Buffer {
  const headers = benchHeaders(nowSeconds, random, pick(HEX, 32, random));
  let text = '';
  for (const name of HEADER_NAMES) text += `${name}: ${headers[name]}\n`;
  return Buffer.concat([Buffer.from(text, 'latin1'), benchPayload(index), Buffer.from('\n')]);
}

/** C's mkstemp("XXXXXX") spool name: 6 characters of [A-Za-z0-9]. */
export function cSpoolName(random: Random): string {
  return pick(ALNUM, 6, random);
}

/** A small seeded PRNG (mulberry32) so a run's records can be reproduced from its seed. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
