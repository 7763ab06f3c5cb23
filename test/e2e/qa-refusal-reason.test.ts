// QA: a record the collector refused (400) was quarantined with detail "HTTP 400" only, and
// `telemctl status` printed "HTTP 400: HTTP 400": the collector's message, which names what it
// did not like (here the TID), was read and thrown away. An admin could not tell why.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { decodeFrame, encodeFrame } from '@telemetrics/libtelemetry/wire';
import { startCollector } from '../helpers/collector.ts';
import { sendFrame, spawnTelemd, waitUntil } from '../helpers/telemd.ts';
import { readVector } from '../helpers/vectors.ts';

test('a quarantined refusal and the status file carry the collector’s message', async () => {
  await using collector = await startCollector({ tid: '11111111-1111-1111-1111-111111111111' });
  await using p = await spawnTelemd({ server: collector.v2Url });
  const d = decodeFrame(readVector('socket/v2.3.5-hprobe.bin'));
  assert.ok(d.ok);
  await sendFrame(
    p.socketPath,
    encodeFrame({ headers: d.value.headers, payload: Buffer.from(d.value.payload) }),
  );

  const quarantine = path.join(p.dir, 'spool', '.quarantine');
  const notes = () =>
    fs.existsSync(quarantine) ? fs.readdirSync(quarantine).filter((n) => n.endsWith('.reason.json')) : [];
  await waitUntil(() => notes().length === 1, 'a quarantine note');
  const note = JSON.parse(fs.readFileSync(path.join(quarantine, notes()[0]!), 'utf8')) as {
    status: number;
    detail: string;
  };
  assert.equal(note.status, 400);
  assert.equal(note.detail, 'HTTP 400: Telemetry ID mismatch');

  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
  const status = JSON.parse(fs.readFileSync(path.join(p.dir, 'telemd-status.json'), 'utf8')) as {
    lastDeliveryError: { status: number; message: string };
  };
  assert.deepEqual(
    { status: status.lastDeliveryError.status, message: status.lastDeliveryError.message },
    { status: 400, message: 'HTTP 400: Telemetry ID mismatch' },
  );
});
