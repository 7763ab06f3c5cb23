// `telemctl is-active` (spec c-client.md 11.2) with a real exit status: C
// always exited 0 (BUG-42).
import type { CommandContext, OptionsTable } from '../command.ts';
import { ACTIVE_UNITS, noSystemd, systemdRunning } from '../host.ts';

export const name = 'is-active';
export const summary = 'Checks if telemd (socket and path units) is active';
export const needsRoot = false;
export const options: OptionsTable = {};
export const description = `Prints "<unit> : <state>" for ${ACTIVE_UNITS.join(' and ')}, the state being
the last line of "systemctl is-active <unit>" (active, inactive, failed, ...).
Does not need root.

EXIT STATUS
  0  every unit is active
  3  a unit is not active (the code "systemctl is-active" uses)
  1  systemctl could not be run, or systemd is not running as PID 1`;

export async function run(ctx: CommandContext): Promise<number> {
  if (!(await systemdRunning(ctx))) return noSystemd(ctx, 'check telemetry services');
  let status = 0;
  for (const unit of ACTIVE_UNITS) {
    const r = await ctx.exec('systemctl', ['is-active', unit]);
    if (r.code === 127) {
      ctx.err(`${ctx.argv0}: cannot run systemctl: ${r.stderr.trim()}\n`);
      return 1;
    }
    const state = r.stdout.trimEnd().split('\n').at(-1) ?? '';
    ctx.out(`${unit} : ${state}\n`);
    if (r.code !== 0 || state !== 'active') status = 3;
  }
  return status;
}
