import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatStatus, parseStatusFile, type StatusFacts } from './status-report.ts';

const STATUS = {
  version: 1,
  pid: 42,
  updatedAt: 1_000_000,
  counters: {
    accepted: 10,
    delivered: 7,
    spooled: 2,
    dropped: { rate_limited: 1, spool_full: 2 },
    expired: 0,
    quarantined: 1,
    retried: 3,
    rejected: 0,
  },
  spool: { bytes: 2048, files: 2, maxBytes: 5120 * 1024 },
  lastDeliveryError: { at: 0, status: 503, message: 'Service Unavailable' },
};

const FACTS: StatusFacts = {
  daemon: 'running (pid 42; systemd is not running)',
  optedIn: true,
  optInFile: '/etc/telemetrics/opt-in',
  machineIdFile: '/var/lib/telemetry/machine_id',
  machineIdMtime: 1_000_000 - 3 * 86_400_000,
  statusFile: '/var/lib/telemetry/telemd-status.json',
  status: null,
  spoolCapBytes: 5120 * 1024,
  now: 1_060_000,
};

test('a full status file becomes the report', () => {
  const parsed = parseStatusFile(JSON.stringify(STATUS));
  assert.ok(parsed.ok);
  const text = formatStatus({ ...FACTS, status: parsed.value });
  assert.equal(
    text,
    [
      'telemd:              running (pid 42; systemd is not running)',
      'opt-in:              yes (/etc/telemetrics/opt-in)',
      'machine id:          3 days 0 h old (/var/lib/telemetry/machine_id)',
      'status:              updated 1 min ago by pid 42 (/var/lib/telemetry/telemd-status.json)',
      'spool:               2.0 KiB in 2 files of 5.0 MiB (0%)',
      'records:             accepted=10 delivered=7 spooled=2 retried=3',
      '                     expired=0 quarantined=1 rejected=0 dropped=3 (rate_limited=1, spool_full=2)',
      'last delivery error: 1970-01-01T00:00:00.000Z HTTP 503: Service Unavailable',
      '',
    ].join('\n'),
  );
});

test("the spool's ISO timestamps read like epoch ms", () => {
  const iso = {
    ...STATUS,
    updatedAt: new Date(1_000_000).toISOString(),
    lastDeliveryError: { at: '1970-01-01T00:00:00.000Z', message: 'm' },
  };
  const parsed = parseStatusFile(JSON.stringify(iso));
  assert.ok(parsed.ok);
  assert.equal(parsed.value.updatedAt, 1_000_000);
  assert.equal(parsed.value.lastDeliveryError?.at, 0);
  assert.equal(parsed.value.lastDeliveryError?.status, undefined);
  const far = parseStatusFile(JSON.stringify({ ...STATUS, lastDeliveryError: { at: 1e300, message: 'x' } }));
  assert.ok(far.ok);
  assert.match(formatStatus({ ...FACTS, status: far.value }), /last delivery error: unknown time: x/);
});

test('no status file yet, or an unusable one, is said plainly', () => {
  assert.match(
    formatStatus(FACTS),
    /status: +no status yet \(\/var\/lib\/telemetry\/telemd-status.json does not exist\)\n$/,
  );
  assert.match(formatStatus({ ...FACTS, machineIdMtime: null }), /machine id: +not created yet/);
  const bad = parseStatusFile('{"version":2}');
  assert.equal(bad.ok ? '' : bad.code, 'TELEM_STATUS_FORMAT');
  const notJson = parseStatusFile('{');
  assert.equal(notJson.ok ? '' : notJson.code, 'TELEM_STATUS_FORMAT');
  assert.equal(parseStatusFile('[]').ok, false);
  assert.match(
    formatStatus({ ...FACTS, status: 'unknown version 2' }),
    /status: +unusable: unknown version 2/,
  );
});

test('missing or mistyped fields read as zero, an older writer still works', () => {
  const parsed = parseStatusFile(
    '{"version":1,"pid":"x","counters":{"accepted":"5","dropped":[1]},"lastDeliveryError":null}',
  );
  assert.ok(parsed.ok);
  assert.equal(parsed.value.pid, 0);
  assert.equal(parsed.value.counters.accepted, 0);
  assert.deepEqual(parsed.value.counters.dropped, {});
  assert.equal(parsed.value.lastDeliveryError, null);
  const text = formatStatus({ ...FACTS, status: parsed.value, spoolCapBytes: -1 });
  assert.match(text, /spool: +0 B in 0 files of unlimited/);
  assert.match(text, /last delivery error: none/);
});

test('fuzz: any text or JSON value parses to a result and formats without throwing', () => {
  const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);
  console.log(`status-report fuzz seed=${seed}`);
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.json(),
        fc
          .record({
            version: fc.constant(1),
            counters: fc.anything(),
            spool: fc.anything(),
            lastDeliveryError: fc.anything(),
            updatedAt: fc.anything(),
          })
          .map((o) => JSON.stringify(o)),
      ),
      (text) => {
        const parsed = parseStatusFile(text);
        if (parsed.ok) assert.equal(typeof formatStatus({ ...FACTS, status: parsed.value }), 'string');
        else assert.equal(parsed.code, 'TELEM_STATUS_FORMAT');
      },
    ),
    { seed, numRuns: 400 },
  );
});
