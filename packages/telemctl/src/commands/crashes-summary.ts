// What `telemctl crashes` shows of one crash report, native (crashprobe's
// text payload) or Node (installCrashReporter's JSON payload). Pure.

/** Where a report was found, which is also how far it got. */
export type CrashState = 'pending' | 'spooled' | 'journal' | 'dropped';

export interface CrashEntry {
  readonly eventId: string;
  readonly classification: string;
  /** Epoch seconds: creation time of the record (crash_dir, spool), or when telemd handled it (journal). */
  readonly timestamp: number;
  readonly state: CrashState;
  /** Record headers when the whole record is at hand (crash_dir, spool). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** The payload when it is at hand; a journal entry has one only with record_retention_enabled. */
  readonly payload?: Uint8Array | undefined;
  /** Why a dropped record was dropped. */
  readonly note?: string | undefined;
}

export interface CrashSummary {
  readonly eventId: string;
  readonly timestamp: number;
  readonly classification: string;
  readonly kind: 'native' | 'node';
  readonly state: CrashState;
  /** Process path (native) or service name (Node); '-' when the payload is not at hand. */
  readonly process: string;
  /** `signal 11 (SIGSEGV)` or `TypeError: message`. */
  readonly error: string;
  readonly frames: readonly string[];
}

export const FIRST_FRAMES = 3;
const NODE_PREFIX = 'org.telemetrics/node/';
const NATIVE_PREFIX = 'org.clearlinux/crash/';

export function isCrashClassification(classification: string): boolean {
  return classification.startsWith(NODE_PREFIX) || classification.startsWith(NATIVE_PREFIX);
}

const SIGNALS: Readonly<Record<number, string>> = {
  4: 'SIGILL',
  5: 'SIGTRAP',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  11: 'SIGSEGV',
  24: 'SIGXCPU',
  25: 'SIGXFSZ',
  31: 'SIGSYS',
};

interface Described {
  readonly process: string;
  readonly error: string;
  readonly frames: readonly string[];
}

const NOTHING: Described = { process: '-', error: '-', frames: [] };

/** crashprobe's payload: `Process:`, `PID:`, `Signal:` lines, then `Backtrace (TID n):` blocks. */
export function describeNative(text: string): Described {
  const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(text)?.[1];
  const signal = field('Signal');
  const number = signal === undefined ? undefined : Number(signal);
  const error =
    number === undefined
      ? (text.split('\n')[0] ?? '-')
      : `signal ${number} (${SIGNALS[number] ?? 'unknown'})`;
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith('Backtrace (TID'));
  const frames = at < 0 ? [] : lines.slice(at + 1).filter((l) => l.startsWith('#'));
  return { process: field('Process') ?? '-', error, frames: frames.slice(0, FIRST_FRAMES) };
}

/** The JSON of a Node report, or undefined when it is not one. */
export function parseNodeReport(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function describeNode(text: string): Described {
  const report = parseNodeReport(text);
  if (report === undefined) return { ...NOTHING, error: 'payload is not JSON' };
  const error = (report['error'] ?? {}) as Record<string, unknown>;
  const resource = (report['resource'] ?? {}) as Record<string, unknown>;
  const frames = (str(error['stack']) ?? '')
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .map((l) => l.trim());
  return {
    process: str(resource['service.name']) ?? '-',
    error: `${str(error['name']) ?? 'Error'}: ${str(error['message']) ?? ''}`,
    frames: frames.slice(0, FIRST_FRAMES),
  };
}

export function summarize(entry: CrashEntry): CrashSummary {
  const kind = entry.classification.startsWith(NODE_PREFIX) ? 'node' : 'native';
  const text = entry.payload === undefined ? undefined : Buffer.from(entry.payload).toString('latin1');
  const described =
    text === undefined ? NOTHING : kind === 'node' ? describeNode(text) : describeNative(text);
  return {
    eventId: entry.eventId,
    timestamp: entry.timestamp,
    classification: entry.classification,
    kind,
    state: entry.state,
    ...described,
  };
}

/**
 * One report per event id, newest first. The same record can be seen twice
 * for a moment (spooled and already journaled); the furthest state wins.
 */
export function mergeNewestFirst(entries: readonly CrashEntry[]): CrashEntry[] {
  const rank: Record<CrashState, number> = { pending: 0, spooled: 1, journal: 2, dropped: 3 };
  const byId = new Map<string, CrashEntry>();
  for (const e of entries) {
    const seen = byId.get(e.eventId);
    if (seen === undefined) byId.set(e.eventId, e);
    else if (rank[e.state] > rank[seen.state])
      byId.set(e.eventId, { ...e, payload: e.payload ?? seen.payload, headers: e.headers ?? seen.headers });
  }
  return [...byId.values()].sort((a, b) => b.timestamp - a.timestamp || (a.eventId < b.eventId ? -1 : 1));
}
