// "Sent" means on disk, seen from the probe's side (issue 14): probes using the
// public SDK send while the collector is down, the built telemd is killed with
// SIGKILL the moment the last send resolved, and every record a probe was told
// was sent must be in the spool (or its quarantine, or delivered: nothing is,
// the collector refuses connections). Before the fix telemd closed the
// connection as soon as it had decoded the frame, and `sendRecord` resolved on
// that close while the record was still on its way to the disk.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createRecord, sendRecord, type TelemetryRecord } from '@telemetrics/libtelemetry';
import { decodeSpoolFile } from '@telemetrics/libtelemetry/wire';
import { refusedUrl } from '../../bench/harness/refused-url.ts';
import { spawnTelemd } from '../helpers/telemd.ts';
import { CAPTURE_MACHINE_FACTS } from '../helpers/fake-machine.ts';

const SENDERS = 4;
const PER_SENDER = 150;
const ROUNDS = 3;
const TMPFS_MAGIC = 0x01021994;

let seq = 0;
function probeRecord(): TelemetryRecord {
  return createRecord({
    severity: 2,
    classification: 'org.example/intake/ack',
    eventId: (++seq).toString(16).padStart(32, '0'),
    payload: `record ${seq}\n`,
    facts: CAPTURE_MACHINE_FACTS,
    now: Date.now(),
    random: (n) => Buffer.alloc(n, 7),
  });
}

/** Event ids of the complete records in `dir` (not its temp files) and in its quarantine. */
function keptEventIds(dir: string): Set<string> {
  const ids = new Set<string>();
  const visit = (d: string): void => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        visit(p);
        continue;
      }
      if (!e.isFile() || e.name.startsWith('.tmp-')) continue;
      const decoded = decodeSpoolFile(fs.readFileSync(p));
      if (decoded.ok) ids.add(decoded.value.headers.event_id);
    }
  };
  visit(dir);
  return ids;
}

test('telemd killed right after the last send resolved loses no record a probe was told was sent', async (t) => {
  // A disk-backed spool: on tmpfs an fsync waits for nothing and hides the window.
  const base = fs.mkdtempSync(path.join('/var/tmp', 'telem-ack-'));
  t.after(() => fs.rmSync(base, { recursive: true, force: true }));
  assert.notEqual(fs.statfsSync(base).type, TMPFS_MAGIC, '/var/tmp must be disk-backed for this test');
  const server = await refusedUrl();
  const losses: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const spoolDir = path.join(base, `spool-${round}`);
    await using telemd = await spawnTelemd({ server, spool_dir: spoolDir });
    const optInFile = path.join(telemd.dir, 'opt-in');
    fs.writeFileSync(optInFile, '');
    const told: string[] = [];
    const failed: string[] = [];
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        for (let i = 0; i < PER_SENDER; i++) {
          const record = probeRecord();
          try {
            await sendRecord(record, { socketPath: telemd.socketPath, optInFile });
            told.push(record.headers.event_id);
          } catch (error) {
            failed.push(`${record.headers.event_id}: ${(error as Error).message}`);
          }
        }
      }),
    );
    telemd.child.kill('SIGKILL');
    await telemd.exited;
    assert.deepEqual(failed, [], `round ${round}: no send failed (the daemon was up)`);
    const kept = keptEventIds(spoolDir);
    const lost = told.filter((id) => !kept.has(id));
    if (lost.length > 0)
      losses.push(`round ${round}: ${lost.length} of ${told.length} told-sent records lost`);
  }
  assert.deepEqual(losses, [], 'lost = told-sent - (spooled + quarantined + delivered) is 0 in every round');
});
