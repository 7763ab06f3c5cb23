// Apply and reset of the blacklist: recompute every crash record's guilty with the
// collector's own processing (the same code that runs on ingest).
import type { Db } from '../db/types.ts';

export async function reprocessAll(db: Db): Promise<number> {
  const { processCrashRecords } = await import('../crash/process.ts');
  return processCrashRecords(db, { reprocessAll: true });
}
