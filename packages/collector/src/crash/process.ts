// Crash processing (spec/collector.md §8.1), as upstream's processing service does it: for
// backtrace-class records past the high-water mark, find the guilty frame, insert it into
// `guilty` (reusing the row on the unique constraint), set `records.guilty_id`, and mark the
// last record of the batch `processed` (bug B11 kept: `last_processed` is a MAX over the flag).
// The collector also runs guiltyIdFor() inside each ingest transaction, so records arrive
// processed; this batch job serves the views' blacklist "apply"/"reset" buttons.
import type { Db } from '../db/types.ts';
import { BACKTRACE_CLASSES, type FuncMod, findGuilty } from './guilty.ts';

const BATCH = 500;

export async function loadBlacklist(db: Db): Promise<FuncMod[]> {
  const rows = await db.query<{ function: string | null; module: string | null }>(
    'SELECT function, module FROM guilty_blacklisted',
  );
  return rows.map((r) => ({ function: r.function ?? '', module: r.module ?? '' }));
}

/** The id of the `guilty` row for (function, module), inserted with hide=false if new. */
export async function guiltyIdFor(db: Db, guilty: FuncMod): Promise<number> {
  await db.run(
    'INSERT INTO guilty (function, module, hide) VALUES ($1, $2, $3) ON CONFLICT (function, module) DO NOTHING',
    [guilty.function, guilty.module, false],
  );
  const [row] = await db.query<{ id: number }>('SELECT id FROM guilty WHERE function = $1 AND module = $2', [
    guilty.function,
    guilty.module,
  ]);
  if (row === undefined) throw new Error('guilty row vanished after its insert');
  return Number(row.id);
}

const CLASS_PARAMS = BACKTRACE_CLASSES.map((_, i) => `$${i + 2}`).join(', ');

/**
 * Processes the backtrace records after the last processed one (all of them with
 * reprocessAll, e.g. after the blacklist changed). Returns how many records it looked at.
 */
export async function processCrashRecords(db: Db, opts: { reprocessAll?: boolean } = {}): Promise<number> {
  let after = 0;
  if (!opts.reprocessAll) {
    const [row] = await db.query<{ last_id: number | null }>(
      'SELECT max(id) AS last_id FROM records WHERE processed = $1',
      [true],
    );
    after = Number(row?.last_id ?? 0);
  }
  let total = 0;
  for (;;) {
    const done = await db.transaction(async (tx) => {
      const blacklist = await loadBlacklist(tx);
      const rows = await tx.query<{ id: number; payload: string }>(
        `SELECT id, payload FROM records WHERE id > $1 AND classification IN (${CLASS_PARAMS})
         ORDER BY id LIMIT ${BATCH}`,
        [after, ...BACKTRACE_CLASSES],
      );
      for (const row of rows) {
        const guilty = findGuilty(row.payload, blacklist);
        const guiltyId = guilty === null ? null : await guiltyIdFor(tx, guilty);
        await tx.run('UPDATE records SET guilty_id = $1 WHERE id = $2', [guiltyId, row.id]);
      }
      const last = rows.at(-1);
      if (last !== undefined) {
        await tx.run('UPDATE records SET processed = $1 WHERE id = $2', [true, last.id]);
        after = Number(last.id);
      }
      total += rows.length;
      return rows.length < BATCH;
    });
    if (done) return total;
  }
}
