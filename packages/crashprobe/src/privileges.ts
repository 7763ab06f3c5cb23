// Dropping root before the core is read (DESIGN: "drop privileges before
// parsing"; a -c core file is opened just before, in main.ts). The kernel
// starts the core_pattern helper as root; crashprobe parses its options
// first (C did it the other way round, BUG-43), then becomes the configured
// user. Node cannot getpwnam(), so the user is looked
// up in the passwd file. If the user is missing, crashprobe falls back to
// `nobody` rather than losing the crash; it never continues as root.
import { readFileSync } from 'node:fs';

export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** Parses passwd(5) text; malformed lines are skipped. Pure. */
export function findPasswdEntry(text: string, name: string): PasswdEntry | undefined {
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || f[0] !== name) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid < 0 || gid < 0) continue;
    return { name, uid, gid, home: f[5] ?? '/' };
  }
  return undefined;
}

export const FALLBACK_USER = 'nobody';

export type DropOutcome =
  | { readonly kind: 'not-root' }
  | { readonly kind: 'dropped'; readonly user: string; readonly uid: number; readonly fallback: boolean }
  | { readonly kind: 'failed'; readonly reason: string };

export interface DropOptions {
  readonly user: string;
  readonly passwdFile: string;
  /** Directory to change into (C: /var/lib/telemetry); failure is not fatal. */
  readonly workDir: string;
}

export function dropPrivileges(opts: DropOptions): DropOutcome {
  if (typeof process.geteuid !== 'function' || process.geteuid() !== 0) return { kind: 'not-root' };
  let text: string;
  try {
    text = readFileSync(opts.passwdFile, 'utf8');
  } catch (err) {
    return { kind: 'failed', reason: `cannot read ${opts.passwdFile}: ${(err as Error).message}` };
  }
  let entry = findPasswdEntry(text, opts.user);
  const fallback = entry === undefined;
  if (entry === undefined) entry = findPasswdEntry(text, FALLBACK_USER);
  if (entry === undefined)
    return { kind: 'failed', reason: `neither user ${opts.user} nor ${FALLBACK_USER} exists` };
  if (entry.uid === 0) return { kind: 'failed', reason: `user ${entry.name} is root` };
  try {
    process.chdir(opts.workDir);
  } catch {
    // C changes to the telemetry state directory; any directory will do for us.
  }
  try {
    // initgroups is POSIX-only and missing from @types/node's Process.
    const posix = process as unknown as { initgroups?: (user: string, group: number) => void };
    posix.initgroups?.(entry.name, entry.gid);
    process.setgid?.(entry.gid);
    process.setuid?.(entry.uid);
  } catch (err) {
    return { kind: 'failed', reason: `cannot become ${entry.name}: ${(err as Error).message}` };
  }
  if (process.geteuid() === 0 || process.getuid?.() === 0)
    return { kind: 'failed', reason: 'still root after setuid' };
  return { kind: 'dropped', user: entry.name, uid: entry.uid, fallback };
}
