// `telemctl status` (not in C): one screen on the state of telemetry here.
import { promises as fsp } from 'node:fs';
import type { CommandContext, OptionsTable, OptionValues } from '../command.ts';
import { exists, systemdRunning } from '../host.ts';
import {
  formatStatus,
  parseStatusFile,
  type StatusFacts,
  type TelemdStatus,
} from '../format/status-report.ts';

export const name = 'status';
export const summary = 'Shows telemd state, opt-in, machine id age, spool and counters';
export const needsRoot = false;
export const options: OptionsTable = {
  json: { type: 'boolean', help: 'Print the facts as one JSON object' },
};
export const description = `Reports whether telemd is active (systemctl is-active telemd.service and
telemd.socket under systemd; otherwise whether the pid in the status file is
alive), the opt-in marker, the age of the machine id (mtime of
machine_id_file), and from the status file telemd writes (status_file, default
/var/lib/telemetry/telemd-status.json): spool usage against its cap, record
counters and the last delivery error. Before telemd has written it the report
says "no status yet". Does not need root (but may need read access).

EXIT STATUS
  0  the report was printed (whatever it says)`;

async function readStatus(file: string): Promise<TelemdStatus | string | null> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? null : `cannot read (${code ?? 'error'})`;
  }
  const parsed = parseStatusFile(text);
  return parsed.ok ? parsed.value : parsed.detail;
}

async function daemonState(ctx: CommandContext, status: TelemdStatus | string | null): Promise<string> {
  if (await systemdRunning(ctx)) {
    const states: string[] = [];
    let any = false;
    for (const unit of ['telemd.service', 'telemd.socket']) {
      const r = await ctx.exec('systemctl', ['is-active', unit]);
      const state = r.code === 127 ? 'unknown' : (r.stdout.trim().split('\n').at(-1) ?? '');
      if (state === 'active') any = true;
      states.push(`${unit}: ${state}`);
    }
    return `${any ? 'active' : 'inactive'} (${states.join(', ')})`;
  }
  if (status === null || typeof status === 'string' || status.pid <= 0) {
    return 'unknown (systemd is not running and there is no usable status file)';
  }
  return ctx.pidAlive(status.pid)
    ? `running (pid ${status.pid}; systemd is not running)`
    : `not running (pid ${status.pid} from the status file is gone)`;
}

export async function run(ctx: CommandContext, values: OptionValues): Promise<number> {
  const { config } = ctx;
  const status = await readStatus(config.status_file);
  let machineIdMtime: number | null = null;
  try {
    machineIdMtime = (await fsp.stat(config.machine_id_file)).mtimeMs;
  } catch {
    machineIdMtime = null;
  }
  const facts: StatusFacts = {
    daemon: await daemonState(ctx, status),
    optedIn: await exists(config.opt_in_file),
    optInFile: config.opt_in_file,
    machineIdFile: config.machine_id_file,
    machineIdMtime,
    statusFile: config.status_file,
    status,
    spoolCapBytes: config.spool_max_size < 0 ? -1 : config.spool_max_size * 1024,
    now: ctx.now(),
  };
  ctx.out(values['json'] === true ? `${JSON.stringify(facts)}\n` : formatStatus(facts));
  return 0;
}
