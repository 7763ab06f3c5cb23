// `telemctl start` (spec c-client.md 11.2): needs the opt-in marker; creates
// the work directories with systemd-tmpfiles, then starts the special units.
import type { CommandContext, OptionsTable } from '../command.ts';
import {
  exists,
  forEachUnit,
  hostPath,
  noSystemd,
  SPECIAL_UNITS,
  systemdRunning,
  TMPFILES_CONF,
} from '../host.ts';

export const name = 'start';
export const summary = 'Starts all telemetry services';
export const needsRoot = true;
export const options: OptionsTable = {};
export const description = `Requires the opt-in marker (opt_in_file, default /etc/telemetrics/opt-in;
see "telemctl opt-in"). Runs "systemd-tmpfiles --create ${TMPFILES_CONF}",
then "systemctl start" for ${SPECIAL_UNITS.join(', ')}.

EXIT STATUS
  0  all units started
  1  not opted in, systemd-tmpfiles could not be run, a unit failed, or
     systemd is not running as PID 1`;

/** Shared with restart. */
export async function startUnits(ctx: CommandContext): Promise<number> {
  if (!(await exists(ctx.config.opt_in_file))) {
    ctx.err('Opt in to telemetry first.\n');
    return 1;
  }
  if (!(await systemdRunning(ctx))) return noSystemd(ctx, 'start telemetry services');
  const args = ['--create', hostPath(ctx, TMPFILES_CONF)];
  if (ctx.root !== '/') args.unshift(`--root=${ctx.root}`);
  const tmpfiles = await ctx.exec('systemd-tmpfiles', args);
  // Like C: its output goes to stderr, and only failing to run it is fatal.
  ctx.err(tmpfiles.stdout + tmpfiles.stderr);
  if (tmpfiles.code === 127) return 1;
  return forEachUnit(ctx, 'start', SPECIAL_UNITS);
}

export function run(ctx: CommandContext): Promise<number> {
  return startUnits(ctx);
}
