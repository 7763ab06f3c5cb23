// Opt-in is the existence of one marker file (spec c-client.md 9.4); its
// content is ignored. C tm_is_opted_in() uses stat(), so a symlink to an
// existing file counts.
// node:fs through getBuiltinModule, not an ES import: see config/load.ts.
const { statSync } = process.getBuiltinModule('node:fs');

export async function isOptedIn(optInFile: string): Promise<boolean> {
  return isOptedInSync(optInFile);
}

export function isOptedInSync(optInFile: string): boolean {
  try {
    // synchronous: one stat() per record, not worth a thread-pool round trip
    statSync(optInFile);
    return true;
  } catch {
    return false;
  }
}
