// `telemctl crashes` on a machine with a report in each place one can be:
// crash_dir (pending), the spool, the journal with a retained payload, the
// journal without one, and the dropped side file. Runs the built telemctl.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeCrashFileSync } from '@telemetrics/libtelemetry/internal/crash-dir';
import { encodeFrame, encodeSpoolFile, serializeJournalEntry } from '@telemetrics/libtelemetry/wire';
import { crashRecord } from '../../../../test/helpers/crash-record.ts';
import { runTelemctl } from '../../../../test/helpers/telemctl.ts';
import { vectorPath } from '../../../../test/helpers/vectors.ts';
import { describeNative, describeNode } from './crashes-summary.ts';

const root = mkdtempSync(join(tmpdir(), 'crashes-'));
after(() => rmSync(root, { recursive: true, force: true }));
const BOOT = '11111111-2222-3333-4444-555555555555';
const NATIVE = readFileSync(vectorPath('crash/payloads/v2.4.3-crashme-g.payload.txt'), 'latin1');

function nodePayload(name: string, message: string, service: string): string {
  return JSON.stringify({
    kind: 'crash',
    error: {
      name,
      message,
      stack: `${name}: ${message}\n    at deepest (file:///app/main.js:3:9)\n    at run (file:///app/main.js:9:3)`,
    },
    context: {},
    resource: { 'service.name': service },
  });
}

function record(classification: string, payload: string, seconds: number, id: number) {
  return crashRecord({ classification, payload, now: seconds * 1000, fill: id });
}

const hex = (id: number) => Buffer.alloc(16, id).toString('hex');

function machine() {
  const dirs = {
    crash_dir: join(root, 'crash'),
    spool_dir: join(root, 'spool'),
    journal_file: join(root, 'journal'),
    record_retention_dir: join(root, 'records'),
  };
  for (const d of [dirs.crash_dir, dirs.spool_dir, dirs.record_retention_dir])
    mkdirSync(d, { recursive: true });
  const pending = record(
    'org.telemetrics/node/crash',
    nodePayload('TypeError', 'boom', 'cortex-server'),
    5000,
    1,
  );
  writeCrashFileSync(dirs.crash_dir, pending.headers.event_id, encodeFrame(pending));
  const spooled = record('org.clearlinux/crash/clr', NATIVE, 4000, 2);
  writeFileSync(join(dirs.spool_dir, 'AbCdEf'), encodeSpoolFile(spooled));
  // Not a crash: left out.
  writeFileSync(
    join(dirs.spool_dir, 'XyZxyZ'),
    encodeSpoolFile(record('org.clearlinux/hello/world', 'hi', 4500, 3)),
  );
  const retained = hex(9);
  writeFileSync(join(dirs.record_retention_dir, retained), nodePayload('Hang', 'stuck', 'cli-tool'));
  writeFileSync(
    dirs.journal_file,
    serializeJournalEntry({
      recordId: retained,
      timestamp: 3000,
      classification: 'org.telemetrics/node/hang',
      eventId: hex(4),
      bootId: BOOT,
    }) +
      serializeJournalEntry({
        recordId: hex(10),
        timestamp: 2000,
        classification: 'org.clearlinux/crash/unknown',
        eventId: hex(5),
        bootId: BOOT,
      }) +
      serializeJournalEntry({
        recordId: hex(12),
        timestamp: 2500,
        classification: 'org.clearlinux/hello/world',
        eventId: hex(7),
        bootId: BOOT,
      }),
  );
  writeFileSync(
    `${dirs.journal_file}.dropped`,
    serializeJournalEntry({
      recordId: hex(11),
      timestamp: 1000,
      classification: 'org.telemetrics/node/error',
      eventId: hex(6),
      bootId: BOOT,
      note: 'expired',
    }) +
      // The collector has it (journal above); only the OTLP export gave up on it: not "dropped".
      serializeJournalEntry({
        recordId: hex(13),
        timestamp: 2000,
        classification: 'org.telemetrics/node/hang',
        eventId: hex(4),
        bootId: BOOT,
        note: 'otlp_evicted',
      }),
  );
  const conf = join(root, 'telemetrics.conf');
  writeFileSync(
    conf,
    `[settings]\n${Object.entries(dirs)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
  return { conf, pending: pending.headers.event_id, spooled: spooled.headers.event_id };
}

const m = machine();

test('crashes lists every crash report, newest first, with process, error and first frames', async () => {
  const r = await runTelemctl(['-f', m.conf, 'crashes']);
  assert.equal(r.code, 0, r.stderr);
  const heads = r.stdout.split('\n').filter((l) => /^\d{4}-/.test(l));
  assert.deepEqual(
    heads.map((l) => l.split(/\s{2,}/).slice(1, 3)),
    [
      ['pending', 'org.telemetrics/node/crash'],
      ['spooled', 'org.clearlinux/crash/clr'],
      ['journal', 'org.telemetrics/node/hang'],
      ['journal', 'org.clearlinux/crash/unknown'],
      ['dropped', 'org.telemetrics/node/error'],
    ],
  );
  assert.match(heads[0]!, /^1970-01-01 01:23:20 {2}pending .*cortex-server +TypeError: boom +[0-9a-f]{32}$/);
  assert.match(r.stdout, /cortex-server.*\n {4}at deepest \(file:\/\/\/app\/main\.js:3:9\)\n {4}at run /);
  assert.match(heads[1]!, /\/usr\/bin\/crashme-g +signal 11 \(SIGSEGV\)/);
  assert.match(r.stdout, /SIGSEGV.*\n {4}#0 item_length\(\) - \[\/usr\/bin\/crashme-g\]/);
  assert.match(heads[2]!, /cli-tool +Hang: stuck/);
  // Journal entry without a retained payload: what the journal knows only.
  assert.match(heads[3]!, /org\.clearlinux\/crash\/unknown +- +- +/);
});

test('crashes --json and -i ID', async () => {
  const json = await runTelemctl(['-f', m.conf, 'crashes', '--json']);
  const lines = json.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 5);
  assert.deepEqual(lines[0].frames, [
    'at deepest (file:///app/main.js:3:9)',
    'at run (file:///app/main.js:9:3)',
  ]);
  assert.equal(lines[0].kind, 'node');
  assert.equal(lines[1].kind, 'native');
  assert.equal(lines[4].state, 'dropped');
  const whole = await runTelemctl(['-f', m.conf, 'crashes', '-i', m.spooled]);
  assert.equal(whole.code, 0);
  assert.match(whole.stdout, /Headers:\n {2}record_format_version: 4\n/);
  assert.ok(whole.stdout.includes(NATIVE), 'the whole native payload');
  const node = await runTelemctl(['-f', m.conf, 'crashes', '-i', m.pending]);
  assert.match(node.stdout, /Stack:\nTypeError: boom\n {4}at deepest/);
  const missing = await runTelemctl(['-f', m.conf, 'crashes', '-i', 'f'.repeat(32)]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no crash report with event id/);
});

test('summaries of payloads that are not what they claim do not throw', () => {
  assert.deepEqual(describeNode('not json'), { process: '-', error: 'payload is not JSON', frames: [] });
  assert.equal(describeNative('').process, '-');
  assert.equal(describeNative('Process: /x\nSignal: 99\n').error, 'signal 99 (unknown)');
});
