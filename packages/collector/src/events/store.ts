// Writes events and OTLP log records, each request in one transaction (all or nothing).
import type { Db } from '../db/types.ts';
import type { LogRecordRow } from './parse.ts';

/** Request headers worth keeping with a stream: everything but credentials. */
export function streamHeaders(rawHeaders: readonly string[]): string {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (/^(authorization|cookie|proxy-authorization)$/i.test(name)) continue;
    out.push([name, rawHeaders[i + 1]!]);
  }
  return JSON.stringify(out);
}

export async function storeEvents(
  db: Db,
  headers: string,
  events: readonly string[],
  now: number,
): Promise<number> {
  return db.transaction(async (tx) => {
    const [stream] = await tx.query<{ id: number }>(
      'INSERT INTO telemetrics_streams (received, headers) VALUES ($1, $2) RETURNING id',
      [now, headers],
    );
    for (const payload of events) {
      await tx.run('INSERT INTO telemetrics_events (stream_id, received, payload) VALUES ($1, $2, $3)', [
        stream!.id,
        now,
        payload,
      ]);
    }
    return events.length;
  });
}

export async function storeLogs(db: Db, rows: readonly LogRecordRow[], now: number): Promise<number> {
  return db.transaction(async (tx) => {
    for (const r of rows) {
      await tx.run(
        `INSERT INTO telemetrics_logs (received, time_unix_nano, severity_number, severity_text, service_name, body, record)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [now, r.timeUnixNano, r.severityNumber, r.severityText, r.serviceName, r.body, r.record],
      );
    }
    return rows.length;
  });
}
