// Paths of the golden vectors captured from the C client (test/vectors/).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeFrame, encodeFrame } from '@telemetrics/libtelemetry/wire';

export const VECTORS_DIR = fileURLToPath(new URL('../vectors/', import.meta.url));

export function vectorPath(relative: string): string {
  return fileURLToPath(new URL(`../vectors/${relative}`, import.meta.url));
}

/**
 * crashprobe's arguments for the crashme-g vector core, as the kernel's core_pattern passes them
 * (-p %e -E %E -s %s), with --map-path pointing the recorded /usr/bin/crashme-g at the vector binary.
 */
export const CRASHME_G_ARGS: readonly string[] = [
  '-p',
  'crashme-g',
  '-E',
  '!usr!bin!crashme-g',
  '-s',
  '11',
  '--map-path',
  `/usr/bin/crashme-g=${vectorPath('crash/bin/crashme-g')}`,
];

export function readVector(relative: string): Buffer {
  return readFileSync(vectorPath(relative));
}

/** The C hprobe's frame (socket/v2.3.5-hprobe.bin) with event_id `n` in hex: what e2e tests send. */
export function hprobeFrame(n: number): { readonly bytes: Buffer; readonly event_id: string } {
  const d = decodeFrame(readVector('socket/v2.3.5-hprobe.bin'));
  if (!d.ok) throw new Error(`socket/v2.3.5-hprobe.bin does not decode: ${d.detail}`);
  const event_id = n.toString(16).padStart(32, '0');
  return {
    bytes: encodeFrame({ headers: { ...d.value.headers, event_id }, payload: Buffer.from(d.value.payload) }),
    event_id,
  };
}
