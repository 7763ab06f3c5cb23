// The guilty blacklist (table guilty_blacklisted; no unique constraint, so the
// views check for duplicates, as upstream's UI did).
import type { Db } from '../../db/types.ts';
import { compareText } from '../format.ts';

export interface FuncMod {
  function: string;
  module: string;
}

/** Sorted here, not by ORDER BY: PostgreSQL's collation would order them unlike SQLite. */
function funcMods(rows: Record<string, unknown>[]): FuncMod[] {
  return rows
    .map((r) => ({ function: String(r.function ?? ''), module: String(r.module ?? '') }))
    .sort((a, b) => compareText(a.function, b.function) || compareText(a.module, b.module));
}

export async function blacklist(db: Db): Promise<FuncMod[]> {
  return funcMods(await db.query('SELECT function, module FROM guilty_blacklisted'));
}

export async function addToBlacklist(db: Db, fm: FuncMod): Promise<boolean> {
  return db.transaction(async (tx) => {
    const have = await tx.query('SELECT id FROM guilty_blacklisted WHERE function = $1 AND module = $2', [
      fm.function,
      fm.module,
    ]);
    if (have.length > 0) return false;
    await tx.run('INSERT INTO guilty_blacklisted (function, module) VALUES ($1, $2)', [
      fm.function,
      fm.module,
    ]);
    return true;
  });
}

export async function removeFromBlacklist(db: Db, fm: FuncMod): Promise<boolean> {
  const r = await db.run('DELETE FROM guilty_blacklisted WHERE function = $1 AND module = $2', [
    fm.function,
    fm.module,
  ]);
  return r.changes > 0;
}

/** Every (function, module) ever chosen as guilty: the choices of the "add" form
 *  (upstream's missing `get_all_funcmods`). */
export async function allFuncMods(db: Db): Promise<FuncMod[]> {
  return funcMods(await db.query('SELECT function, module FROM guilty'));
}
