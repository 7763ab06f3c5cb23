// `telemctl crashes`: every crash report of this machine, native (crashprobe)
// and Node (installCrashReporter), newest first (the Cortex `cortex telemetry
// --type crash`). Sources and what each knows: crashes-sources.ts.
import type { CommandContext, OptionsTable, OptionValues } from '../command.ts';
import { CRASHES_HEADER, formatCrashJson, formatCrashLine, formatCrashWhole } from './crashes-format.ts';
import { readCrashEntries } from './crashes-sources.ts';
import { mergeNewestFirst, summarize } from './crashes-summary.ts';

export const name = 'crashes';
export const summary = 'Lists the crash reports of this machine (native and Node), newest first';
export const needsRoot = true;

export const options: OptionsTable = {
  id: { type: 'string', short: 'i', value: 'ID', help: 'Print the report with this event id whole' },
  json: { type: 'boolean', help: 'One JSON object per report instead of the table' },
};

export const description = `Lists the crash reports this machine produced: native crashes reported by
crashprobe (org.clearlinux/crash/*) and crashes, unhandled rejections, hangs
and reported errors of Node programs (org.telemetrics/node/*), newest first,
with the process or service, the signal or error, the time and the first
frames.

SOURCES (the STATE column)
  pending  crash_dir: a Node program could not reach telemd; telemd takes
           the report when it starts
  spooled  spool_dir: telemd has it and has not delivered it yet
  journal  journal_file: delivered or kept local (the journal keeps the last
           100 records); process, error and frames only when the payload was
           kept (record_retention_enabled=true)
  dropped  journal_file + ".dropped": telemd gave up on it

  -i ID prints one report whole: headers when known, and the payload (a Node
  report's stack as lines, the rest as indented JSON).
  --json prints {"event_id","timestamp","time","classification","kind",
  "state","process","error","frames"} per line; with -i also "headers" and
  "payload".

EXIT STATUS
  0  success, also when there is no report
  1  -i ID names no report, or a usage error`;

export async function run(ctx: CommandContext, values: OptionValues): Promise<number> {
  const entries = mergeNewestFirst(await readCrashEntries(ctx.config));
  const id = typeof values['id'] === 'string' ? values['id'] : undefined;
  const json = values['json'] === true;
  if (id !== undefined) {
    const entry = entries.find((e) => e.eventId === id);
    if (entry === undefined) {
      ctx.err(`${ctx.argv0}: no crash report with event id ${id}\n`);
      return 1;
    }
    ctx.out(json ? formatCrashJson(summarize(entry), entry) : formatCrashWhole(entry));
    return 0;
  }
  if (!json) ctx.out(CRASHES_HEADER);
  for (const entry of entries) {
    const s = summarize(entry);
    ctx.out(json ? formatCrashJson(s) : formatCrashLine(s));
  }
  return 0;
}
