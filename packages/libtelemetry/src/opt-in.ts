// Opt-in is the existence of one marker file (spec c-client.md 9.4); its
// content is ignored. C tm_is_opted_in() uses stat(), so a symlink to an
// existing file counts.
import { stat } from 'node:fs/promises';

export async function isOptedIn(optInFile: string): Promise<boolean> {
  try {
    await stat(optInFile);
    return true;
  } catch {
    return false;
  }
}
