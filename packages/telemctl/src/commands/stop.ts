// `telemctl stop` (spec c-client.md 11.2): special units first, then services.
import type { CommandContext, OptionsTable } from '../command.ts';
import { forEachUnit, noSystemd, SERVICES, SPECIAL_UNITS, systemdRunning } from '../host.ts';

export const name = 'stop';
export const summary = 'Stops all running telemetry services';
export const needsRoot = true;
export const options: OptionsTable = {};
export const description = `Runs "systemctl stop" for ${SPECIAL_UNITS.join(', ')}, then for
${SERVICES.join(', ')}. A unit that fails is reported ("Failed to stop <unit>.
Continuing...") and the others are still stopped.

EXIT STATUS
  0  all units stopped
  1  a unit failed, or systemd is not running as PID 1`;

/** Shared with restart and opt-out. */
export async function stopUnits(ctx: CommandContext): Promise<number> {
  const special = await forEachUnit(ctx, 'stop', SPECIAL_UNITS);
  const services = await forEachUnit(ctx, 'stop', SERVICES);
  return special || services;
}

export async function run(ctx: CommandContext): Promise<number> {
  if (!(await systemdRunning(ctx))) return noSystemd(ctx, 'stop telemetry services');
  return stopUnits(ctx);
}
