// The INSERT of one validated record into upstream's `records` table, with its crash
// processing (spec §8) done in the same transaction: a backtrace-class record is stored with
// its guilty_id and processed=true, so the views never see it half-processed.
import { BACKTRACE_CLASSES, type FuncMod, findGuilty } from '../crash/guilty.ts';
import type { ValidatedRecord } from './validate.ts';

export const INSERT_RECORD_SQL = `INSERT INTO records (architecture, bios_version, board_name, build,
  classification, cpu_model, event_id, external, host_type, kernel_version, machine_id, payload_version,
  record_version, severity, system_name, timestamp_client, timestamp_server, payload, processed, guilty_id)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`;

const COLUMNS_PER_ROW = 20;

/** INSERT_RECORD_SQL for `rows` rows in one statement ($1..$20 the first row, $21.. the next). [pure] */
export function multiRowInsertSql(rows: number): string {
  const head = INSERT_RECORD_SQL.slice(0, INSERT_RECORD_SQL.indexOf('VALUES'));
  const tuples = Array.from({ length: rows }, (_, r) => {
    const base = r * COLUMNS_PER_ROW;
    return `(${Array.from({ length: COLUMNS_PER_ROW }, (_, c) => `$${base + c + 1}`).join(', ')})`;
  });
  return `${head}VALUES ${tuples.join(', ')}`;
}

const CRASH_CLASSES = new Set(BACKTRACE_CLASSES);

export function isBacktraceRecord(record: ValidatedRecord): boolean {
  return CRASH_CLASSES.has(record.classification);
}

/** The guilty frame of a record, or null (not a crash class, or no frame lines). */
export function guiltyOf(record: ValidatedRecord, blacklist: readonly FuncMod[]): FuncMod | null {
  return isBacktraceRecord(record) ? findGuilty(record.payload, blacklist) : null;
}

/** The INSERT's parameters; `processed` is true for backtrace records (processed on ingest). */
export function insertParams(
  record: ValidatedRecord,
  timestampServer: number,
  guiltyId: number | null,
): unknown[] {
  return [
    record.arch,
    record.bios_version,
    record.board_name,
    record.build,
    record.classification,
    record.cpu_model,
    record.event_id,
    record.external,
    record.machine_type,
    record.kernel_version,
    record.machine_id,
    record.payload_version,
    record.record_version,
    record.severity,
    record.system_name,
    record.timestamp_client,
    timestampServer,
    record.payload,
    isBacktraceRecord(record),
    guiltyId,
  ];
}
