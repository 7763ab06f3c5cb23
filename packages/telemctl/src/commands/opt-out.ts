// `telemctl opt-out` (spec c-client.md 11.2): remove the marker, stop the
// units, delete the work directories telemetrics owns. A directory is removed
// only when it is a real directory (never a symlink, never followed) owned by
// user and group telemetry; its contents are removed without following links.
import { promises as fsp } from 'node:fs';
import type { CommandContext, OptionsTable } from '../command.ts';
import { hostPath, systemdRunning, TMPFILES_CONF } from '../host.ts';
import { lookupId, parseWorkDirs, WORK_DIR_OWNER } from '../tmpfiles.ts';
import { stopUnits } from './stop.ts';

export const name = 'opt-out';
export const summary = 'Opts out of telemetry, and stops telemetry services';
export const needsRoot = true;
export const options: OptionsTable = {};
export const description = `Removes the opt-in marker (opt_in_file), stops the units like "telemctl stop"
(skipped, with a note, when systemd is not running), then deletes the work
directories listed in ${TMPFILES_CONF} as
"d <dir> <mode> telemetry telemetry -": the machine id (/var/lib/telemetry),
the spool (/var/spool/telemetry), the Node crash reports waiting in crash_dir
(/var/spool/telemetry-crash), the journal and retained records
(/var/log/telemetry). A directory is deleted only if it is a directory (not a
symlink) owned by user and group telemetry, else:
  Not removing "<dir>": Incorrect folder owner (expected telemetry:telemetry)
Symlinks inside are removed, never followed.

EXIT STATUS
  0  opted out, or already opted out ("Already opted out. Nothing to do.")
  1  the marker could not be removed, a unit failed to stop, or a directory
     could not be deleted`;

async function readOrEmpty(file: string): Promise<string> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch {
    return '';
  }
}

export async function removeWorkDirs(ctx: CommandContext): Promise<number> {
  const conf = hostPath(ctx, TMPFILES_CONF);
  let text: string;
  try {
    text = await fsp.readFile(conf, 'utf8');
  } catch {
    ctx.err(`Cannot read ${conf}: not removing telemetry directories.\n`);
    return 1;
  }
  const uid = lookupId(await readOrEmpty(hostPath(ctx, '/etc/passwd')), WORK_DIR_OWNER);
  const gid = lookupId(await readOrEmpty(hostPath(ctx, '/etc/group')), WORK_DIR_OWNER);
  let status = 0;
  for (const listed of parseWorkDirs(text)) {
    const dir = hostPath(ctx, listed);
    let st: Awaited<ReturnType<typeof fsp.lstat>>;
    try {
      st = await fsp.lstat(dir);
    } catch {
      continue; // already gone (e.g. a parent listed earlier took it)
    }
    if (!st.isDirectory()) {
      ctx.err(`Not removing "${dir}": not a directory\n`);
      continue;
    }
    if (uid === null || gid === null || st.uid !== uid || st.gid !== gid) {
      ctx.err(
        `Not removing "${dir}": Incorrect folder owner (expected ${WORK_DIR_OWNER}:${WORK_DIR_OWNER})\n`,
      );
      continue;
    }
    try {
      // fs.rm unlinks symlinks found inside; it never descends through them.
      await fsp.rm(dir, { recursive: true });
    } catch (err) {
      ctx.err(`Failed to remove "${dir}": ${(err as Error).message}\n`);
      status = 1;
    }
  }
  return status;
}

export async function run(ctx: CommandContext): Promise<number> {
  const marker = ctx.config.opt_in_file;
  try {
    await fsp.unlink(marker);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      ctx.err('Already opted out. Nothing to do.\n');
      return 0;
    }
    ctx.err(`Failed to remove ${marker}.\n`);
    return 1;
  }
  let status = 0;
  if (await systemdRunning(ctx)) status = await stopUnits(ctx);
  else ctx.err('systemd is not running as PID 1: no telemetry units to stop.\n');
  return (await removeWorkDirs(ctx)) || status;
}
