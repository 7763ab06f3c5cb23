// telemd's OTLP export (deliver/otlp/), end to end: the built telemd, the
// reference collector and an OTLP receiver on 127.0.0.1 that decodes every
// request with the official OpenTelemetry protocol definitions and checks
// JSON requests against the Cortex crash report schema
// (test/helpers/otlp-receiver.ts).
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { createRecord, encodeCrashPayload } from '@telemetrics/libtelemetry';
import { decodeFrame, encodeFrame } from '@telemetrics/libtelemetry/wire';
import { startCollector } from '../helpers/collector.ts';
import { startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { otlpOutboxLeft, spoolLeft } from '../helpers/spool.ts';
import { sendFrame, spawnTelemd, waitUntil } from '../helpers/telemd.ts';
import { readVector, vectorPath } from '../helpers/vectors.ts';
import { readFileSync } from 'node:fs';

const facts = {
  arch: 'x86_64',
  host_type: 'a|b|c',
  build: '41',
  kernel_version: '6.18.44-fc-v669',
  system_name: 'clear-linux-os',
  board_name: 'b|b',
  cpu_model: 'Test CPU',
  bios_version: 'bios',
};
let seq = 1;

function nodeCrash(message: string) {
  const payload = encodeCrashPayload({
    kind: 'crash',
    error: {
      name: 'TypeError',
      message,
      stack: `TypeError: ${message}\n    at deepest (file:///app/main.js:3:9)`,
    },
    context: { modelId: 'llama3' },
    resource: {
      osName: 'Debian GNU/Linux',
      osVersion: '13',
      architecture: 'x86_64',
      appVersion: '1.2.3',
      'service.name': 'cortex-server',
      source: 'server',
      cpu: 'Test CPU',
      gpus: [{ model: 'Radeon RX 6800', vendor: 'AMD', vram: '17163091968' }],
    },
    process: { pid: 1, node: 'v24', uptimeMs: 1 },
  });
  const record = createRecord({
    severity: 4,
    classification: 'org.telemetrics/node/crash',
    payload,
    facts,
    now: Date.now(),
    random: (n) => Buffer.alloc(n, seq++),
  });
  return { record, frame: encodeFrame(record) };
}

function nativeCrash() {
  const payload = readFileSync(vectorPath('crash/payloads/v2.4.3-crashme-g.payload.txt'), 'latin1');
  const record = createRecord({
    severity: 3,
    classification: 'org.clearlinux/crash/clr',
    payload,
    facts,
    now: Date.now(),
    random: (n) => Buffer.alloc(n, seq++),
  });
  return { record, frame: encodeFrame(record) };
}

const hprobe = () => {
  const f = decodeFrame(readVector('socket/v2.4.3-hprobe.bin'));
  assert.ok(f.ok);
  const eventId = Buffer.alloc(16, seq++).toString('hex');
  return {
    eventId,
    frame: encodeFrame({ headers: { ...f.value.headers, event_id: eventId }, payload: f.value.payload }),
  };
};

const spoolFiles = (dir: string) => spoolLeft(path.join(dir, 'spool'));

const fastRetries = { delivery_retry_base_ms: 100, delivery_retry_max_ms: 400 };

test('every record reaches the collector and, as an OTLP log record, the receiver (JSON)', async () => {
  await using collector = await startCollector();
  await using receiver = await startOtlpReceiver();
  await using telemd = await spawnTelemd({
    server: collector.v2Url,
    otlp_endpoint: receiver.url,
    ...fastRetries,
  });
  const node = nodeCrash('boom');
  const native = nativeCrash();
  const heartbeat = hprobe();
  for (const f of [node.frame, native.frame, heartbeat.frame]) await sendFrame(telemd.socketPath, f);
  await collector.waitForRecords(3);
  const logs = await receiver.waitForLogs(3);
  assert.deepEqual(receiver.errors, []);
  const byId = new Map(logs.map((l) => [l.traceId, l]));
  const crash = byId.get(node.record.headers.event_id)!;
  assert.equal(crash.body, node.record.payload.toString('latin1'));
  assert.equal(crash.severityText, 'FATAL');
  assert.equal(crash.severityNumber, 21);
  assert.equal(crash.attributes.classification, 'org.telemetrics/node/crash');
  assert.equal(crash.attributes.event_id, node.record.headers.event_id);
  assert.match(crash.attributes.machine_id!, /^[0-9a-f]{32}$/);
  assert.equal(crash.timeUnixNano, `${node.record.headers.creation_timestamp}000000000`);
  assert.deepEqual(crash.resource, {
    osName: 'Debian GNU/Linux',
    osVersion: '13',
    architecture: 'x86_64',
    appVersion: '1.2.3',
    'service.name': 'cortex-server',
    source: 'server',
    cpu: 'Test CPU',
    gpus: '[{"model":"Radeon RX 6800","vendor":"AMD","vram":"17163091968"}]',
  });
  const clr = byId.get(native.record.headers.event_id)!;
  assert.equal(clr.resource['service.name'], '/usr/bin/crashme-g');
  assert.equal(clr.resource.source, 'crashprobe');
  assert.equal(clr.severityText, 'ERROR');
  assert.ok(byId.has(heartbeat.eventId));
  assert.equal(receiver.requests[0]!.contentType, 'application/json');
  await waitUntil(() => spoolFiles(telemd.dir).length === 0, 'an empty spool');
});

const outboxFiles = (dir: string) => otlpOutboxLeft(path.join(dir, 'spool'));

test('OTLP receiver down, then up: the collector is not held back, the OTLP outbox keeps the records, nothing lost or sent twice', async () => {
  await using collector = await startCollector();
  await using receiver = await startOtlpReceiver();
  await receiver.down();
  await using telemd = await spawnTelemd({
    server: collector.v2Url,
    otlp_endpoint: receiver.url,
    ...fastRetries,
  });
  const sent = Array.from({ length: 5 }, (_, i) => nodeCrash(`outage ${i}`));
  for (const s of sent) await sendFrame(telemd.socketPath, s.frame);
  // The collector gets every record while the receiver is down; the records leave the main spool
  // only once the OTLP outbox holds them durably.
  await collector.waitForRecords(5);
  await waitUntil(() => outboxFiles(telemd.dir).length === 5, 'five records in the OTLP outbox');
  await waitUntil(() => spoolFiles(telemd.dir).length === 0, 'an empty main spool');
  assert.equal(receiver.logs.length, 0);
  await receiver.up();
  const logs = await receiver.waitForLogs(5);
  assert.deepEqual(new Set(logs.map((l) => l.traceId)), new Set(sent.map((s) => s.record.headers.event_id)));
  await waitUntil(() => outboxFiles(telemd.dir).length === 0, 'an empty OTLP outbox', 30_000);
  assert.equal(collector.records.length, 5, 'the collector got no record twice');
  assert.equal(receiver.logs.length, 5, 'the receiver got no record twice');
  assert.deepEqual(receiver.errors, []);
});

test('telemd stopped with records in the OTLP outbox: the next start sends them', async () => {
  await using collector = await startCollector();
  await using receiver = await startOtlpReceiver();
  await receiver.down();
  const overrides = { server: collector.v2Url, otlp_endpoint: receiver.url, ...fastRetries };
  await using first = await spawnTelemd(overrides);
  const kept = nodeCrash('kept across a restart');
  await sendFrame(first.socketPath, kept.frame);
  await waitUntil(() => outboxFiles(first.dir).length === 1, 'one record in the OTLP outbox');
  first.child.kill('SIGTERM');
  await first.exited;
  await receiver.up();
  // The same state directory, a new telemd.
  await using second = await spawnTelemd({ ...overrides, spool_dir: path.join(first.dir, 'spool') });
  const [log] = await receiver.waitForLogs(1);
  assert.equal(log!.traceId, kept.record.headers.event_id);
  await waitUntil(() => outboxFiles(first.dir).length === 0, 'an empty OTLP outbox');
  assert.ok(second.socketPath);
});

test('protobuf with gzip, and the classification filter', async () => {
  await using collector = await startCollector();
  await using receiver = await startOtlpReceiver();
  await using telemd = await spawnTelemd({
    server: collector.v2Url,
    otlp_endpoint: receiver.url,
    otlp_protocol: 'http/protobuf',
    otlp_compression: 'gzip',
    otlp_classifications: 'org.telemetrics/node/*',
    ...fastRetries,
  });
  const node = nodeCrash('filtered in');
  await sendFrame(telemd.socketPath, hprobe().frame);
  await sendFrame(telemd.socketPath, node.frame);
  await collector.waitForRecords(2);
  const [log] = await receiver.waitForLogs(1);
  assert.equal(log!.traceId, node.record.headers.event_id);
  assert.equal(log!.body, node.record.payload.toString('latin1'));
  assert.deepEqual(receiver.requests[0], {
    contentType: 'application/x-protobuf',
    encoding: 'gzip',
    records: 1,
  });
  await waitUntil(() => spoolFiles(telemd.dir).length === 0, 'an empty spool');
  assert.equal(receiver.logs.length, 1, 'the heartbeat is not exported');
});

test('the receiver does reject what the schema or the definitions refuse (its checks can fail)', async () => {
  await using receiver = await startOtlpReceiver();
  const post = (body: unknown) =>
    fetch(receiver.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const record = { severityText: 'FATAL', body: { stringValue: 'x' }, attributes: [] };
  const request = (logRecord: unknown) => ({
    resourceLogs: [{ resource: { attributes: [] }, scopeLogs: [{ scope: {}, logRecords: [logRecord] }] }],
  });
  assert.equal((await post(request(record))).status, 400, 'no traceId: the Cortex schema requires one');
  assert.match(receiver.errors[0]!, /crash report schema/);
  const badTime = { ...record, traceId: '00'.repeat(16), timeUnixNano: 'soon' };
  assert.equal((await post(request(badTime))).status, 400);
  assert.match(receiver.errors[1]!, /OTLP definitions/);
  assert.equal((await post(request({ ...record, traceId: '00'.repeat(16) }))).status, 200);
});
