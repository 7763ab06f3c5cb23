// The spool test fixtures live beside the spool (packages/telemd/src/spool/spool.fixtures.ts), so
// unit tests never import test/helpers (one direction: test/ -> packages/). End-to-end tests and
// fixtures keep importing them from here.
export * from '../../packages/telemd/src/spool/spool.fixtures.ts';

// Spools as a crashed or stopped daemon leaves them, for end-to-end delivery tests.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { decodeFrame, encodeSpoolFile } from '@telemetrics/libtelemetry/wire';
import { waitUntil } from './poll.ts';
import { readVector } from './vectors.ts';

/** `count` records in C's spool format, event ids base+0.. base+count-1, as a crashed run leaves them. */
export function writeCSpool(dir: string, count: number, base: number): string[] {
  const d = decodeFrame(readVector('socket/v2.3.5-hprobe.bin'));
  assert.ok(d.ok);
  fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const event_id = (base + i).toString(16).padStart(32, '0');
    ids.push(event_id);
    const bytes = encodeSpoolFile({
      headers: { ...d.value.headers, event_id },
      payload: Buffer.from(d.value.payload),
    });
    fs.writeFileSync(path.join(dir, `r${String(i).padStart(5, '0')}`), bytes, { mode: 0o600 });
  }
  return ids;
}

export function spoolLeft(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => !n.startsWith('.'));
}

/** The records waiting in the OTLP outbox (<spool_dir>/.otlp/): none before telemd makes it. */
export function otlpOutboxLeft(spoolDir: string): string[] {
  try {
    return spoolLeft(path.join(spoolDir, '.otlp'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export async function drainedSpool(dir: string, timeoutMs = 30_000): Promise<void> {
  await waitUntil(
    () => spoolLeft(dir).length === 0,
    () => `an empty spool: ${spoolLeft(dir).length} left`,
    timeoutMs,
    20,
  );
}
