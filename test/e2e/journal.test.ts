// hprobe -> telemd -> collector, then telemctl journal shows the record and
// its retained payload; with delivery disabled the record is journaled too.
// All real: built binaries as child processes, a unix socket, HTTP on 127.0.0.1.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pollFor } from '../helpers/poll.ts';
import { droppedJournalPath, readJournal } from '@telemetrics/libtelemetry/internal/journal';
import { startCollector } from '../helpers/collector.ts';
import { binPath, runBin } from '../helpers/run-bin.ts';
import { runTelemctl } from '../helpers/telemctl.ts';
import { spawnTelemd } from '../helpers/telemd.ts';

const HPROBE = binPath('packages/hprobe/dist/hprobe.mjs');

/** Polls the journal file (telemd writes it after the collector answered) until it has `n` entries. */
async function journalEntries(file: string, n: number, timeoutMs = 10_000) {
  let have = 0;
  return pollFor(
    async () => {
      const { entries } = await readJournal(file);
      have = entries.length;
      return entries.length >= n ? entries : undefined;
    },
    () => `journal ${file} to have ${n} entries (has ${have})`,
    { timeoutMs, intervalMs: 10 },
  );
}

test('a delivered hprobe record is in the journal; telemctl journal -V -i -r shows it with its payload', async () => {
  await using collector = await startCollector();
  await using telemd = await spawnTelemd({ server: collector.v3Url, record_retention_enabled: true });
  const journalFile = path.join(telemd.dir, 'journal');
  fs.writeFileSync(path.join(telemd.dir, 'opt-in'), '');
  const probe = await runBin(HPROBE, ['-f', telemd.configFile]);
  assert.equal(probe.code, 0, probe.stderr);
  const [sent] = await collector.waitForRecords(1);
  const [entry] = await journalEntries(journalFile, 1);
  assert.ok(entry && sent);
  assert.equal(entry.classification, 'org.clearlinux/hello/world');
  assert.equal(entry.classification, sent.classification);
  assert.match(entry.recordId, /^[0-9a-f]{32}$/);
  assert.match(entry.eventId, /^[0-9a-f]{32}$/);
  const bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').slice(0, 36);
  assert.equal(entry.bootId, bootId);

  const shown = await runTelemctl(['-f', telemd.configFile, 'journal', '-V', '-i', '-r', entry.recordId]);
  assert.equal(shown.stderr, '');
  assert.equal(shown.code, 0);
  const lines = shown.stdout.split('\n');
  assert.match(lines[0] ?? '', /^Classification {17}Time stamp {18}Record ID/);
  const at = new Date(entry.timestamp * 1000);
  const time = `${at.toUTCString().slice(0, 3)} ${at.toISOString().slice(0, 10)} ${at.toISOString().slice(11, 19)} UTC`;
  assert.equal(
    lines[1],
    `org.clearlinux/hello/world     ${time} ${entry.recordId} ${entry.eventId} ${bootId}`,
  );
  // The retained copy is the payload the probe sent, which the collector stored.
  assert.equal(`${lines.slice(2, -2).join('\n')}\n`, sent.payload);
  assert.equal(lines.at(-2), 'Total records: 1');
  assert.deepEqual(fs.readdirSync(path.join(telemd.dir, 'records')), [entry.recordId]);
});

test('with record_server_delivery_enabled=false the record is journaled and nothing is posted', async () => {
  await using collector = await startCollector();
  await using telemd = await spawnTelemd({ server: collector.v3Url, record_server_delivery_enabled: false });
  const journalFile = path.join(telemd.dir, 'journal');
  fs.writeFileSync(path.join(telemd.dir, 'opt-in'), '');
  const probe = await runBin(HPROBE, ['-f', telemd.configFile]);
  assert.equal(probe.code, 0, probe.stderr);
  const [entry] = await journalEntries(journalFile, 1);
  assert.equal(entry?.classification, 'org.clearlinux/hello/world');
  assert.equal(collector.requests.length, 0);
  assert.equal(fs.existsSync(path.join(telemd.dir, 'records')), false, 'retention is off by default');
  assert.equal(fs.existsSync(droppedJournalPath(journalFile)), false);
  const shown = await runTelemctl(['-f', telemd.configFile, 'journal', '--json']);
  assert.equal(shown.code, 0);
  assert.equal(JSON.parse(shown.stdout).record_id, entry?.recordId);
});

test('a record the collector refuses (400) goes to the .dropped side file, not the journal', async () => {
  await using collector = await startCollector();
  collector.respondWith({ status: 400 });
  await using telemd = await spawnTelemd({ server: collector.v3Url, record_retention_enabled: true });
  const journalFile = path.join(telemd.dir, 'journal');
  fs.writeFileSync(path.join(telemd.dir, 'opt-in'), '');
  const probe = await runBin(HPROBE, ['-f', telemd.configFile]);
  assert.equal(probe.code, 0, probe.stderr);
  const [dropped] = await journalEntries(droppedJournalPath(journalFile), 1);
  assert.equal(dropped?.classification, 'org.clearlinux/hello/world');
  assert.equal(dropped?.note, 'rejected_400');
  assert.deepEqual((await readJournal(journalFile)).entries, []);
  assert.equal(
    fs.existsSync(path.join(telemd.dir, 'records')),
    false,
    'no payload kept for a dropped record',
  );
  const shown = await runTelemctl(['-f', telemd.configFile, 'journal', '--dropped']);
  assert.equal(shown.code, 0);
  assert.ok(shown.stdout.endsWith(' rejected_400\n'), shown.stdout);
});
