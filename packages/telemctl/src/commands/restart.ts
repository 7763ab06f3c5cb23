// `telemctl restart` (spec c-client.md 11.2): start only if stop succeeded.
import type { CommandContext, OptionsTable } from '../command.ts';
import { noSystemd, systemdRunning } from '../host.ts';
import { startUnits } from './start.ts';
import { stopUnits } from './stop.ts';

export const name = 'restart';
export const summary = 'Restarts all telemetry services';
export const needsRoot = true;
export const options: OptionsTable = {};
export const description = `"telemctl stop", then, only if every unit stopped, "telemctl start".

EXIT STATUS
  0  stopped and started
  1  stop or start failed (nothing is started after a failed stop), or
     systemd is not running as PID 1`;

export async function run(ctx: CommandContext): Promise<number> {
  if (!(await systemdRunning(ctx))) return noSystemd(ctx, 'restart telemetry services');
  if ((await stopUnits(ctx)) !== 0) return 1;
  return startUnits(ctx);
}
