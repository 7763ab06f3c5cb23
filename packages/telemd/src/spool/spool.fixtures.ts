// Shared by the spool tests: temp dirs, records and a scripted Sink. Test-only (*.fixtures.ts is
// not built); it lives beside the code it serves so unit tests never reach into test/helpers.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HEADER_NAMES, type RecordHeaders } from '@telemetrics/libtelemetry/wire';
import type { DeliveryOutcome, Sink } from '../deliver/sink.ts';
import type { TelemRecord } from '../record.ts';

export function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'telem-'));
  return {
    dir,
    [Symbol.dispose]() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A tmpfs of `size` (e.g. `64k`) mounted at `<parent>/mnt`, for real ENOSPC; unmounted on
 * dispose. When this process may not mount (not root) the test is skipped and undefined
 * returned: `using fs = smallTmpfs(t, dir, '64k'); if (!fs) return;`.
 */
export function smallTmpfs(
  t: { skip(message: string): void },
  parent: string,
  size: string,
): { dir: string; [Symbol.dispose](): void } | undefined {
  const dir = path.join(parent, 'mnt');
  mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    t.skip('cannot mount a tmpfs here (not root or no CAP_SYS_ADMIN)');
    return undefined;
  }
  return {
    dir,
    [Symbol.dispose]() {
      execFileSync('umount', [dir]);
      rmdirSync(dir);
    },
  };
}

export function makeRecord(n: number, payloadBytes = 20): TelemRecord {
  const h: Record<string, string> = {};
  for (const name of HEADER_NAMES) h[name] = `v-${name}`;
  h.record_format_version = '4';
  h.classification = 'org.example/spool/test';
  h.event_id = n.toString(16).padStart(32, '0');
  const body = `record ${n} `.padEnd(payloadBytes, 'x');
  return { headers: h as RecordHeaders, payload: Buffer.from(body.slice(0, payloadBytes)) };
}

export function idOf(record: TelemRecord): number {
  return Number.parseInt(record.headers.event_id, 16);
}

/**
 * A Sink whose answers the test scripts. A test double on purpose: these
 * tests exercise the spool's decisions; the HTTP sink is tested with a real
 * server elsewhere.
 */
export function scriptedSink(answer: (record: TelemRecord) => DeliveryOutcome | Promise<DeliveryOutcome>) {
  const delivered: number[] = [];
  const attempts: number[] = [];
  const sink: Sink & { delivered: number[]; attempts: number[] } = {
    delivered,
    attempts,
    async deliver(record) {
      attempts.push(idOf(record));
      const outcome = await answer(record);
      if (outcome.kind === 'delivered') delivered.push(idOf(record));
      return outcome;
    },
    async close() {},
  };
  return sink;
}

export const OK: DeliveryOutcome = { kind: 'delivered', status: 201 };
export const DOWN: DeliveryOutcome = { kind: 'retryable', reason: 'ECONNREFUSED' };
