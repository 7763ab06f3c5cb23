// The output of `telemctl crashes`: a table (with the first frames under each
// line), JSON lines, and one report whole (-i). Pure.
import { formatLocalDateTime } from '../format/journal-table.ts';
import { type CrashEntry, type CrashSummary, parseNodeReport, summarize } from './crashes-summary.ts';

export const CRASHES_HEADER = `${'Time'.padEnd(19)}  ${'State'.padEnd(7)}  ${'Classification'.padEnd(30)}  ${'Process / service'.padEnd(28)}  ${'Signal / error'.padEnd(40)}  Event ID\n`;

function cell(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return (flat.length > width ? `${flat.slice(0, width - 3)}...` : flat).padEnd(width);
}

export function formatCrashLine(s: CrashSummary, timeZone?: string): string {
  const head = `${formatLocalDateTime(s.timestamp, timeZone)}  ${cell(s.state, 7)}  ${cell(s.classification, 30)}  ${cell(s.process, 28)}  ${cell(s.error, 40)}  ${s.eventId}\n`;
  return head + s.frames.map((f) => `    ${f}\n`).join('');
}

export function formatCrashJson(s: CrashSummary, entry?: CrashEntry): string {
  const obj: Record<string, unknown> = {
    event_id: s.eventId,
    timestamp: s.timestamp,
    time: new Date(s.timestamp * 1000).toISOString(),
    classification: s.classification,
    kind: s.kind,
    state: s.state,
    process: s.process,
    error: s.error,
    frames: s.frames,
  };
  if (entry !== undefined) {
    obj['headers'] = entry.headers ?? null;
    obj['payload'] = entry.payload === undefined ? null : Buffer.from(entry.payload).toString('latin1');
    if (entry.note !== undefined) obj['reason'] = entry.note;
  }
  return `${JSON.stringify(obj)}\n`;
}

/** -i: the summary, the headers, then the payload (a Node report's stack as lines, its JSON indented). */
export function formatCrashWhole(entry: CrashEntry, timeZone?: string): string {
  const s = summarize(entry);
  let out = `Event ID:       ${s.eventId}\nClassification: ${s.classification}\nTime:           ${formatLocalDateTime(s.timestamp, timeZone)}\nState:          ${s.state}${entry.note ? ` (${entry.note})` : ''}\n`;
  if (entry.headers) {
    out += '\nHeaders:\n';
    for (const [name, value] of Object.entries(entry.headers)) out += `  ${name}: ${value}\n`;
  }
  if (entry.payload === undefined) {
    return `${out}\nPayload: not kept on this machine (record_retention_enabled=true keeps delivered payloads)\n`;
  }
  const text = Buffer.from(entry.payload).toString('latin1');
  const report = s.kind === 'node' ? parseNodeReport(text) : undefined;
  if (report === undefined) return `${out}\nPayload:\n${text}${text.endsWith('\n') ? '' : '\n'}`;
  const error = (report['error'] ?? {}) as Record<string, unknown>;
  const { stack, ...rest } = error;
  out += `\nStack:\n${typeof stack === 'string' ? stack : ''}\n`;
  out += `\nReport:\n${JSON.stringify({ ...report, error: rest }, null, 2)}\n`;
  return out;
}
