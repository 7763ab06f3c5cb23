// The upstream telemetrics-backend schema (spec/collector.md §6) in both dialects, and the
// collector's additive migrations. Every statement is idempotent (IF NOT EXISTS), so the same
// list runs on a fresh database, on ours, and on an existing upstream database, where it only
// adds indexes and the `last_processed` view that upstream's processing service creates too.
// Nothing is altered or dropped: the Flask collector can still run against the same database.
import type { Dialect } from './types.ts';

/** Upstream's Alembic revision (alembic_version), written only when we create the tables. */
export const ALEMBIC_REVISION = 'ac1c5921bf2f';

/** The DDL of upstream's migration ac1c5921bf2f as PostgreSQL runs it (also used by the tests). */
export const UPSTREAM_POSTGRES_DDL = [
  `CREATE TABLE guilty (
    id SERIAL NOT NULL, function VARCHAR, module VARCHAR, comment VARCHAR, hide BOOLEAN NOT NULL,
    PRIMARY KEY (id), CONSTRAINT unique_guilty_constraint UNIQUE (function, module))`,
  `CREATE TABLE guilty_blacklisted (id SERIAL NOT NULL, function VARCHAR, module VARCHAR, PRIMARY KEY (id))`,
  `CREATE TABLE records (
    id SERIAL NOT NULL, architecture TEXT, bios_version TEXT, board_name TEXT, build TEXT NOT NULL,
    classification TEXT NOT NULL, cpu_model TEXT, event_id TEXT, external BOOLEAN, host_type TEXT,
    kernel_version TEXT, machine_id TEXT, payload_version INTEGER, record_version INTEGER,
    severity INTEGER, system_name TEXT, timestamp_client NUMERIC, timestamp_server NUMERIC NOT NULL,
    payload TEXT NOT NULL, processed BOOLEAN, guilty_id INTEGER,
    PRIMARY KEY (id), FOREIGN KEY(guilty_id) REFERENCES guilty (id))`,
  `CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))`,
  `INSERT INTO alembic_version (version_num) VALUES ('${ALEMBIC_REVISION}')`,
];

const SQLITE_TABLES = [
  `CREATE TABLE IF NOT EXISTS guilty (
    id INTEGER PRIMARY KEY AUTOINCREMENT, function TEXT, module TEXT, comment TEXT, hide INTEGER NOT NULL,
    CONSTRAINT unique_guilty_constraint UNIQUE (function, module))`,
  `CREATE TABLE IF NOT EXISTS guilty_blacklisted (id INTEGER PRIMARY KEY AUTOINCREMENT, function TEXT, module TEXT)`,
  // AUTOINCREMENT: ids are never reused after a purge, like PostgreSQL's serial.
  `CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY AUTOINCREMENT, architecture TEXT, bios_version TEXT, board_name TEXT,
    build TEXT NOT NULL, classification TEXT NOT NULL, cpu_model TEXT, event_id TEXT, external INTEGER,
    host_type TEXT, kernel_version TEXT, machine_id TEXT, payload_version INTEGER, record_version INTEGER,
    severity INTEGER, system_name TEXT, timestamp_client NUMERIC, timestamp_server NUMERIC NOT NULL,
    payload TEXT NOT NULL, processed INTEGER, guilty_id INTEGER REFERENCES guilty (id))`,
  `CREATE VIEW IF NOT EXISTS last_processed AS SELECT max(id) AS last_id FROM records WHERE processed = 1`,
];

const POSTGRES_TABLES = [
  ...UPSTREAM_POSTGRES_DDL.slice(0, 4).map((s) => s.replace(/^CREATE TABLE /, 'CREATE TABLE IF NOT EXISTS ')),
  `INSERT INTO alembic_version (version_num) SELECT '${ALEMBIC_REVISION}'
     WHERE NOT EXISTS (SELECT 1 FROM alembic_version)`,
  // Upstream's processing service creates the same view at its start.
  `CREATE OR REPLACE VIEW last_processed AS SELECT max(id) AS last_id FROM records WHERE processed = true`,
];

/** The event stores (the anacrolix seed's `streams`/`events`, and OTLP logs) are ours alone. */
function eventTables(dialect: Dialect): string[] {
  const id = dialect === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGSERIAL PRIMARY KEY';
  const bigId = dialect === 'sqlite' ? 'INTEGER' : 'BIGINT';
  return [
    `CREATE TABLE IF NOT EXISTS telemetrics_streams (id ${id}, received NUMERIC NOT NULL, headers TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS telemetrics_events (id ${id},
      stream_id ${bigId} NOT NULL REFERENCES telemetrics_streams (id) ON DELETE CASCADE,
      received NUMERIC NOT NULL, payload TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS telemetrics_logs (id ${id}, received NUMERIC NOT NULL,
      time_unix_nano TEXT, severity_number INTEGER, severity_text TEXT, service_name TEXT,
      body TEXT, record TEXT NOT NULL)`,
  ];
}

/** Indexes upstream lacks (§6: every query scanned). Additive; names are ours. */
const INDEXES = [
  'CREATE INDEX IF NOT EXISTS telemetrics_records_timestamp_server ON records (timestamp_server)',
  'CREATE INDEX IF NOT EXISTS telemetrics_records_timestamp_client ON records (timestamp_client)',
  'CREATE INDEX IF NOT EXISTS telemetrics_records_classification ON records (classification)',
  'CREATE INDEX IF NOT EXISTS telemetrics_records_build ON records (build)',
  'CREATE INDEX IF NOT EXISTS telemetrics_records_machine_id ON records (machine_id)',
  'CREATE INDEX IF NOT EXISTS telemetrics_records_guilty_id ON records (guilty_id)',
  'CREATE INDEX IF NOT EXISTS telemetrics_records_event_id ON records (event_id)',
  // The web views' whole-table aggregates (docs/web-views.md, Speed), each answered from one
  // index without reading the table: records per platform (stats); each machine's newest
  // heartbeat per build and source (population: equality on the first two columns, the GROUP BY
  // in index order, MAX(timestamp_client) the group's last entry); the crash counts per build
  // and guilty in a time window (crashes, also thermal's times); machines per build of one
  // guilty (guilty details).
  'CREATE INDEX IF NOT EXISTS telemetrics_records_host_type ON records (host_type)',
  `CREATE INDEX IF NOT EXISTS telemetrics_records_population
     ON records (classification, system_name, build, external, machine_id, timestamp_client)`,
  `CREATE INDEX IF NOT EXISTS telemetrics_records_crashes
     ON records (classification, build, timestamp_client, guilty_id)`,
  `CREATE INDEX IF NOT EXISTS telemetrics_records_guilty_machines
     ON records (guilty_id, system_name, build, machine_id)`,
  'CREATE INDEX IF NOT EXISTS telemetrics_events_stream_id ON telemetrics_events (stream_id)',
  'CREATE INDEX IF NOT EXISTS telemetrics_events_received ON telemetrics_events (received)',
  'CREATE INDEX IF NOT EXISTS telemetrics_logs_received ON telemetrics_logs (received)',
];

/** The statements that bring a database (empty, ours or upstream's) to the collector's schema. */
export function migrations(dialect: Dialect): string[] {
  return [...(dialect === 'sqlite' ? SQLITE_TABLES : POSTGRES_TABLES), ...eventTables(dialect), ...INDEXES];
}
