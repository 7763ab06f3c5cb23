// `telemctl opt-in` (spec c-client.md 9.4, 11.2): creates the marker, empty,
// mode 0644. Like C since v2.3.0 it does not start services.
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { CommandContext, OptionsTable } from '../command.ts';

export const name = 'opt-in';
export const summary = 'Opts in to telemetry (then run "start" to start services)';
export const needsRoot = true;
export const options: OptionsTable = {};
export const description = `Creates the opt-in marker (opt_in_file, default /etc/telemetrics/opt-in),
empty, mode 0644, creating its directory if needed. Probes send records and
the units start only while it exists. Services are not started: run
"telemctl start".

EXIT STATUS
  0  opted in, or already opted in ("Already opted in. Nothing to do.")
  1  the marker could not be created`;

export async function run(ctx: CommandContext): Promise<number> {
  const marker = ctx.config.opt_in_file;
  try {
    await fsp.mkdir(path.dirname(marker), { recursive: true, mode: 0o755 });
  } catch {
    ctx.err(`Failed to create ${marker}.\n`);
    return 1;
  }
  try {
    const handle = await fsp.open(
      marker,
      constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW,
      0o644,
    );
    // umask must not make the marker unreadable to the probes.
    await handle.chmod(0o644);
    await handle.close();
    return 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      ctx.err('Already opted in. Nothing to do.\n');
      return 0;
    }
    ctx.err(`Failed to create ${marker}.\n`);
    return 1;
  }
}
