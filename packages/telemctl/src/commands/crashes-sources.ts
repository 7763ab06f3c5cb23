// Where `telemctl crashes` finds reports. There is no one store of every
// crash: a report is, in the order it travels,
//   pending  in crash_dir (a Node program could not reach telemd),
//   spooled  in spool_dir (telemd has it, not yet delivered),
//   journal  in journal_file (delivered, or kept local), its payload only in
//            record_retention_dir when record_retention_enabled is set,
//   dropped  in journal_file + ".dropped" (telemd gave up on it).
// The journal is the record of what this machine sent; it keeps the last
// 100 entries (C's telem_journal window). Unreadable files are skipped.
import { constants } from 'node:fs';
import { isCrashFileName } from '@telemetrics/libtelemetry/internal/crash-dir';
import { close, fstat, open, readdir, readFile } from '@telemetrics/libtelemetry/internal/fs-async';
import {
  droppedJournalPath,
  readJournal,
  readRetainedPayload,
} from '@telemetrics/libtelemetry/internal/journal';
import { decodeFrame, decodeSpoolFile, MAX_SPOOL_FILE_BYTES } from '@telemetrics/libtelemetry/wire';
import type { TelemetryConfig } from '@telemetrics/libtelemetry/config';
import { join } from 'node:path';
import { type CrashEntry, type CrashState, isCrashClassification } from './crashes-summary.ts';

async function readRegular(path: string): Promise<Buffer | undefined> {
  let fd: number;
  try {
    fd = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = await fstat(fd);
    return st.isFile() && st.size <= MAX_SPOOL_FILE_BYTES ? await readFile(fd) : undefined;
  } catch {
    return undefined;
  } finally {
    await close(fd);
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

function fromRecord(
  headers: Readonly<Record<string, string>>,
  payload: Uint8Array,
  state: CrashState,
): CrashEntry | undefined {
  const classification = headers['classification'] ?? '';
  if (!isCrashClassification(classification)) return undefined;
  return {
    eventId: headers['event_id'] ?? '',
    classification,
    timestamp: Number(headers['creation_timestamp'] ?? 0),
    state,
    headers,
    payload,
  };
}

async function pending(dir: string): Promise<CrashEntry[]> {
  const out: CrashEntry[] = [];
  for (const name of (await listDir(dir)).filter(isCrashFileName)) {
    const bytes = await readRegular(join(dir, name));
    const frame = bytes === undefined ? undefined : decodeFrame(bytes);
    if (!frame?.ok) continue;
    const entry = fromRecord(frame.value.headers, frame.value.payload, 'pending');
    if (entry) out.push(entry);
  }
  return out;
}

async function spooled(dir: string): Promise<CrashEntry[]> {
  const out: CrashEntry[] = [];
  // Dot names are telemd's (temp files, .quarantine).
  for (const name of (await listDir(dir)).filter((n) => !n.startsWith('.'))) {
    const bytes = await readRegular(join(dir, name));
    const record = bytes === undefined ? undefined : decodeSpoolFile(bytes);
    if (!record?.ok) continue;
    const entry = fromRecord(record.value.headers, record.value.payload, 'spooled');
    if (entry) out.push(entry);
  }
  return out;
}

async function journaled(config: TelemetryConfig, dropped: boolean): Promise<CrashEntry[]> {
  const file = dropped ? droppedJournalPath(config.journal_file) : config.journal_file;
  let entries: Awaited<ReturnType<typeof readJournal>>['entries'];
  try {
    entries = (await readJournal(file)).entries;
  } catch {
    return [];
  }
  const out: CrashEntry[] = [];
  // otlp_* notes: the OTLP export gave up on a record the collector has or still gets (its own
  // fate is journaled apart), so they say nothing about where the report is.
  const about = entries.filter((x) => !(dropped && x.note?.startsWith('otlp_')));
  for (const e of about.filter((x) => isCrashClassification(x.classification))) {
    const payload = dropped ? null : await readRetainedPayload(config.record_retention_dir, e.recordId);
    out.push({
      eventId: e.eventId,
      classification: e.classification,
      timestamp: e.timestamp,
      state: dropped ? 'dropped' : 'journal',
      payload: payload ?? undefined,
      note: e.note,
    });
  }
  return out;
}

export async function readCrashEntries(config: TelemetryConfig): Promise<CrashEntry[]> {
  const parts = await Promise.all([
    pending(config.crash_dir),
    spooled(config.spool_dir),
    journaled(config, false),
    journaled(config, true),
  ]);
  return parts.flat();
}
