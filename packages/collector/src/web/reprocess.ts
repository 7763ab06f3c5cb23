// Apply and reset of the blacklist: recompute every crash record's guilty with the
// collector's own processing (the code that runs on ingest).
import { processCrashRecords } from '../crash/index.ts';
import type { Db } from '../db/types.ts';

export function reprocessAll(db: Db): Promise<number> {
  return processCrashRecords(db, { reprocessAll: true });
}
