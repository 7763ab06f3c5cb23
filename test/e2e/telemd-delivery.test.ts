// telemd delivery against the reference collector on 127.0.0.1, through the production pipeline
// (spool first): failures are classified, recorded and the record kept (never silently lost), HTTPS with a test CA through
// cainfo, per-record CFG: overrides only from root-owned files, reload and
// close without losing accepted records.
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '@telemetrics/libtelemetry/config';
import { decodeFrame, encodeFrame, type RecordHeaders } from '@telemetrics/libtelemetry/wire';
import { CHANNELS, type DeliveryErrorInfo } from '../../packages/telemd/src/observe/metrics.ts';
import type { TelemRecord } from '../../packages/telemd/src/record.ts';
import { startCollector } from '../helpers/collector.ts';
import { renderConfig, sendFrame, startTestDaemon, testConfig, waitUntil } from '../helpers/telemd.ts';
import { readVector } from '../helpers/vectors.ts';
import { lacks } from '../helpers/need.ts';

let seq = 0x1000;
function frame(overrides: Partial<Record<keyof RecordHeaders, string>> = {}, cfgPath?: string) {
  const d = decodeFrame(readVector('socket/v2.4.3-hprobe.bin'));
  assert.ok(d.ok);
  const event_id = (++seq).toString(16).padStart(32, '0');
  const headers = { ...d.value.headers, event_id, ...overrides };
  return { bytes: encodeFrame({ headers, payload: Buffer.from('hello\n'), cfgPath }), event_id };
}

interface Spooled {
  record: TelemRecord;
  why: string;
}

/** Resolves with the message the pipeline publishes when it keeps `eventId`'s record in the spool. */
function spooledOf(eventId: string): Promise<Spooled> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown): void => {
      const m = message as Spooled;
      if (m.record?.headers.event_id !== eventId) return;
      diagnostics_channel.unsubscribe(CHANNELS.spooled, onMessage);
      resolve(m);
    };
    diagnostics_channel.subscribe(CHANNELS.spooled, onMessage);
  });
}

/** Resolves with the next delivery error the pipeline records (the status file's lastDeliveryError). */
function nextDeliveryError(): Promise<DeliveryErrorInfo> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown): void => {
      diagnostics_channel.unsubscribe(CHANNELS.deliveryError, onMessage);
      resolve(message as DeliveryErrorInfo);
    };
    diagnostics_channel.subscribe(CHANNELS.deliveryError, onMessage);
  });
}

/** Spool files of a test daemon (dot-names are temp files and the quarantine). */
function spoolFiles(dir: string): string[] {
  const spool = path.join(dir, 'spool');
  return fs.existsSync(spool) ? fs.readdirSync(spool).filter((n) => !n.startsWith('.')) : [];
}

// Retries come quickly (backoff has a 1 s floor) so a test sees the spooled record delivered.
const FAST_RETRY = { delivery_retry_base_ms: 50, delivery_retry_max_ms: 1000 } as const;

// The production pipeline spools first: a retryable answer keeps the record and retries it (the
// direct test pipeline used to drop it after a log line, which telemd never did).
const RETRYABLE = [
  ['500', { status: 500 }, 500],
  ['503 with Retry-After', { status: 503, retryAfter: '1' }, 503],
  ['reset', { reset: true }, undefined],
] as const;

for (const [name, fault, status] of RETRYABLE) {
  test(`collector answers ${name} once: the record stays in the spool and is delivered on retry`, async () => {
    await using collector = await startCollector();
    collector.respondWith(fault, { times: 1 });
    await using d = await startTestDaemon({ server: collector.v2Url, ...FAST_RETRY });
    const f = frame();
    const spooled = spooledOf(f.event_id);
    const failed = nextDeliveryError();
    await sendFrame(d.socketPath, f.bytes);
    assert.equal((await spooled).why, 'retryable');
    assert.equal((await failed).status, status);
    const [record] = await collector.waitForRecords(1, { timeoutMs: 20_000 });
    assert.equal(record!.event_id, f.event_id);
    assert.ok(d.logger.lines.some((l) => l.startsWith('<4>delivery failed, records stay in the spool')));
    await waitUntil(() => spoolFiles(d.dir).length === 0, 'the spool file to be removed after delivery');
  });
}

test('collector answers 400: the record is quarantined with its answer, never retried', async () => {
  await using collector = await startCollector();
  collector.respondWith({ status: 400 });
  await using d = await startTestDaemon({ server: collector.v2Url, ...FAST_RETRY });
  const f = frame();
  const failed = nextDeliveryError();
  await sendFrame(d.socketPath, f.bytes);
  assert.equal((await failed).status, 400);
  const quarantine = path.join(d.dir, 'spool', '.quarantine');
  await waitUntil(
    () => fs.existsSync(quarantine) && fs.readdirSync(quarantine).some((n) => n.endsWith('.reason.json')),
    'the record in the quarantine',
  );
  const note = fs.readdirSync(quarantine).find((n) => n.endsWith('.reason.json'))!;
  const reason = JSON.parse(fs.readFileSync(path.join(quarantine, note), 'utf8'));
  assert.equal(reason.reason, 'permanent');
  assert.equal(reason.status, 400);
  assert.deepEqual(spoolFiles(d.dir), []);
  assert.equal(collector.requests.length, 1, 'a permanent refusal is not retried');
});

test('collector hangs past delivery_timeout_ms: timeout, the record stays in the spool', async () => {
  await using collector = await startCollector();
  collector.respondWith({ hang: true });
  await using d = await startTestDaemon({ server: collector.v2Url, delivery_timeout_ms: 300 });
  const f = frame();
  const spooled = spooledOf(f.event_id);
  const failed = nextDeliveryError();
  await sendFrame(d.socketPath, f.bytes);
  assert.match((await failed).message, /timeout|Timeout/);
  assert.equal((await spooled).why, 'retryable');
  assert.equal(spoolFiles(d.dir).length, 1);
});

test('collector down: connection refused, the record stays in the spool', async () => {
  const collector = await startCollector();
  const url = collector.v2Url;
  await collector.close();
  await using d = await startTestDaemon({ server: url });
  const f = frame();
  const spooled = spooledOf(f.event_id);
  const failed = nextDeliveryError();
  await sendFrame(d.socketPath, f.bytes);
  assert.match((await failed).message, /ECONNREFUSED/);
  assert.equal((await spooled).why, 'retryable');
  assert.equal(spoolFiles(d.dir).length, 1);
});

test('HTTPS with a self-signed CA via cainfo; without it the certificate is refused', async (t) => {
  await using collector = await startCollector({ tls: true });
  if (lacks(t, !collector.caFile && 'openssl is not available to make a test CA')) return;
  await using d = await startTestDaemon({ server: collector.v2Url, cainfo: collector.caFile });
  await sendFrame(d.socketPath, frame().bytes);
  const [record] = await collector.waitForRecords(1);
  assert.equal(record!.machine_id, d.daemon.machineId);

  await using plain = await startTestDaemon({ server: collector.v2Url });
  const f = frame();
  const spooled = spooledOf(f.event_id);
  const failed = nextDeliveryError();
  await sendFrame(plain.socketPath, f.bytes);
  assert.match((await failed).message, /CERT|certificate|self.signed/i);
  assert.equal((await spooled).why, 'retryable');
});

test('record_server_delivery_enabled=false: nothing is posted or spooled', async () => {
  await using collector = await startCollector();
  await using d = await startTestDaemon({ server: collector.v2Url, record_server_delivery_enabled: false });
  await sendFrame(d.socketPath, frame().bytes);
  await d.nextAccepted(1);
  await waitUntil(
    () => (d.daemon.summary()['dropped_delivery_disabled'] ?? 0) === 1,
    'the record kept local',
  );
  assert.equal(collector.requests.length, 0);
  assert.deepEqual(spoolFiles(d.dir), []);
});

test('CFG: override applies server and tidheader for that record only, and only from a root-owned file', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to own the override file as root and to chown it away');
    return;
  }
  await using main = await startCollector();
  await using staging = await startCollector({ tid: 'staging-tid' });
  await using d = await startTestDaemon(
    { server: main.v2Url },
    {
      loadOverride: async (p) => {
        const { config } = await loadConfig({ configFile: p });
        return { server: config.server, tidheader: config.tidheader, cainfo: config.cainfo };
      },
    },
  );
  const override = path.join(d.dir, 'custom.conf');
  fs.writeFileSync(
    override,
    renderConfig({
      server: staging.v2Url,
      tidheader: 'X-Telemetry-TID: staging-tid',
      socket_path: '/elsewhere',
    }),
  );
  await sendFrame(d.socketPath, frame({}, override).bytes);
  const [viaOverride] = await staging.waitForRecords(1);
  assert.equal(viaOverride!.classification, 'org.clearlinux/hello/world');
  // The next record without CFG: goes to the main server again.
  await sendFrame(d.socketPath, frame().bytes);
  await main.waitForRecords(1);
  // Not owned by root: ignored with a warning, main config used.
  fs.chownSync(override, 65534, 65534);
  await sendFrame(d.socketPath, frame({}, override).bytes);
  await main.waitForRecords(2);
  assert.equal(staging.records.length, 1);
  assert.ok(d.logger.lines.some((l) => l.startsWith('<4>CFG: override ignored') && l.includes('uid=65534')));
  // Missing override file: logged, main config (C deleted such records unsent, BUG-30).
  await sendFrame(d.socketPath, frame({}, path.join(d.dir, 'missing.conf')).bytes);
  await main.waitForRecords(3);
});

test('reload swaps the collector without dropping an open connection', async () => {
  await using first = await startCollector();
  await using second = await startCollector();
  await using d = await startTestDaemon({ server: first.v2Url });
  const f = frame();
  const socket = net.connect(d.socketPath);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(f.bytes.subarray(0, 100));
  const report = await d.daemon.reload(testConfig(d.dir, { server: second.v2Url }));
  assert.deepEqual(report.changed, ['server']);
  socket.end(f.bytes.subarray(100));
  const [record] = await second.waitForRecords(1);
  assert.equal(record!.event_id, f.event_id);
  assert.equal(first.records.length, 0);
  assert.ok(d.logger.lines.some((l) => l.includes('configuration reloaded') && l.includes('changed=server')));
});

test('close() finishes a frame still arriving and its delivery before resolving', async () => {
  await using collector = await startCollector();
  await using d = await startTestDaemon({ server: collector.v2Url });
  const f = frame();
  const socket = net.connect(d.socketPath);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(f.bytes.subarray(0, 10));
  await waitUntil(() => d.daemon.busy() === 1, 'the connection to be open at the daemon');
  const closing = d.daemon.close(10_000);
  socket.end(f.bytes.subarray(10));
  await closing;
  assert.equal(collector.records.length, 1);
  assert.equal(collector.records[0]!.event_id, f.event_id);
});

test('idle exit waits while the pipeline reports queued work (isIdle)', async () => {
  let queued = true;
  let idleChecks = 0;
  await using d = await startTestDaemon(
    { daemon_recycling_enabled: true, idle_exit_seconds: 1 },
    {
      // A pipeline stub stands in for the spool: only its isIdle() answer matters here.
      createPipeline: () => ({
        accept: async () => {},
        close: async () => {},
        isIdle: () => {
          idleChecks++;
          return !queued;
        },
      }),
    },
  );
  let idle = false;
  d.daemon.once('idle', () => {
    idle = true;
  });
  await waitUntil(() => idleChecks >= 1, 'the first idle check', 5000);
  assert.equal(idle, false, 'no idle exit while work is queued');
  queued = false;
  await waitUntil(() => idle, 'the idle event once the queue is empty', 5000);
});
