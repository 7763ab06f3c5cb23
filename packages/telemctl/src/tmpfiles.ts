// What opt-out may delete: the directories telemetrics-dirs.conf creates for
// user and group telemetry (spec c-client.md 11.2, 13.4). Pure parsing.

export const WORK_DIR_OWNER = 'telemetry';

/** Dirs of lines `d <dir> <mode> telemetry telemetry -`, in file order (C's filter). */
export function parseWorkDirs(text: string): string[] {
  const dirs: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (
      f.length === 6 &&
      f[0] === 'd' &&
      f[1]?.startsWith('/') &&
      f[3] === WORK_DIR_OWNER &&
      f[4] === WORK_DIR_OWNER &&
      f[5] === '-'
    ) {
      dirs.push(f[1]);
    }
  }
  return dirs;
}

/** The numeric id of `name` in an /etc/passwd or /etc/group text (field 3), or null. */
export function lookupId(text: string, name: string): number | null {
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined && /^\d+$/.test(f[2])) return Number(f[2]);
  }
  return null;
}
