// The crash report a Node program sends: its kinds (classification and
// severity), and its payload, an ASCII JSON object of the error, the caller's
// context and the resource fields of the Cortex crash report (seed "Type of
// Telemetry": osName, osVersion, architecture, appVersion, service.name,
// source, cpu, gpus). Pure: the resource and the clock come in as arguments.
//
// The SDK accepts printable ASCII payloads of at most 8192 bytes; an error
// message or context is any Unicode text and a stack any length. So the JSON
// escapes every other character as \uXXXX (a JSON reader gets the original
// text back) and, when too long, is cut where it costs least: the deepest
// stack frames first, then long strings, then the context.
import { MAX_PAYLOAD_BYTES } from '../wire/headers.ts';

export type CrashKind = 'crash' | 'rejection' | 'error' | 'hang';

/** Classification and severity of each kind (1 low .. 4 critical). */
export const CRASH_KINDS: Readonly<Record<CrashKind, { classification: string; severity: number }>> = {
  // The process dies (Node's default for both).
  crash: { classification: 'org.telemetrics/node/crash', severity: 4 },
  rejection: { classification: 'org.telemetrics/node/rejection', severity: 4 },
  // The main thread stopped answering; the watchdog may end it.
  hang: { classification: 'org.telemetrics/node/hang', severity: 3 },
  // Handled by the program, reported because it asked (a 500 from a backend).
  error: { classification: 'org.telemetrics/node/error', severity: 2 },
};

/** payload_format_version of the JSON below; bump when a field changes meaning. */
export const CRASH_PAYLOAD_FORMAT_VERSION = 1;

export interface GpuInfo {
  readonly model: string;
  readonly vendor: string;
  /** Dedicated memory in bytes, as a decimal string, when the driver says. */
  readonly vram?: string;
  /** True for a GPU that borrows system memory (integrated). */
  readonly vramDynamic?: boolean;
}

/** The seed's CrashReportResource. */
export interface CrashResource {
  readonly osName: string;
  readonly osVersion: string;
  readonly architecture: string;
  readonly appVersion: string;
  readonly 'service.name': string;
  readonly source: string;
  readonly cpu: string;
  readonly gpus: readonly GpuInfo[];
}

export interface CrashErrorInfo {
  readonly name: string;
  readonly message: string;
  readonly stack: string;
}

export type CrashContext = Readonly<Record<string, string>>;

export interface CrashReport {
  readonly kind: CrashKind;
  readonly error: CrashErrorInfo;
  /** The seed's CrashReportPayload (modelId, endpoint, command) and whatever else the caller adds. */
  readonly context: CrashContext;
  readonly resource: CrashResource;
  readonly process: { readonly pid: number; readonly node: string; readonly uptimeMs: number };
  /** Set when something was cut to fit the payload limit. */
  readonly truncated?: true;
}

/** What was thrown, as name/message/stack; anything may be thrown, not only Errors. */
export function describeError(value: unknown): CrashErrorInfo {
  if (value instanceof Error) {
    const name = typeof value.name === 'string' ? value.name : 'Error';
    const message = typeof value.message === 'string' ? value.message : String(value.message);
    const stack = typeof value.stack === 'string' ? value.stack : `${name}: ${message}`;
    return { name, message, stack };
  }
  let message: string;
  try {
    message = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    message = String(value);
  }
  return { name: `(thrown ${value === null ? 'null' : typeof value})`, message, stack: '' };
}

/** Context values as strings: the record carries text, and a getter or cycle must not throw here. */
export function toContext(values: Readonly<Record<string, unknown>> | undefined): CrashContext {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values ?? {})) {
    out[key] = typeof value === 'string' ? value : String(value);
  }
  return out;
}

/** JSON with every character outside printable ASCII written as \uXXXX. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}...(${text.length - max} more chars)`;
}

function cutValues(context: CrashContext, max: number): CrashContext {
  return Object.fromEntries(Object.entries(context).map(([k, v]) => [cut(k, 64), cut(v, max)]));
}

/** Drop the deepest frames until `fits` says the stack fits, keeping at least the first line. */
function cutStack(report: CrashReport, fits: (r: CrashReport) => boolean): CrashReport {
  if (fits(report)) return report;
  const lines = report.error.stack.split('\n');
  const keeping = (keep: number): CrashReport => {
    const stack = `${lines.slice(0, keep).join('\n')}\n    ...(${lines.length - keep} more lines)`;
    return { ...report, error: { ...report.error, stack }, truncated: true };
  };
  // Binary search for the most lines that fit (a stack may have thousands: stackTraceLimit).
  let lo = 1;
  let hi = lines.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(keeping(mid))) lo = mid;
    else hi = mid - 1;
  }
  return keeping(Math.max(1, lo));
}

// Each step gives up more than the one before; the first that fits wins.
const SHRINK_STEPS: readonly ((r: CrashReport, fits: (r: CrashReport) => boolean) => CrashReport)[] = [
  cutStack,
  (r, fits) =>
    cutStack(
      {
        ...r,
        error: {
          name: cut(r.error.name, 200),
          message: cut(r.error.message, 1000),
          stack: r.error.stack
            .split('\n')
            .map((line) => cut(line, 300))
            .join('\n'),
        },
        context: cutValues(r.context, 200),
        truncated: true,
      },
      fits,
    ),
  (r, fits) =>
    cutStack(
      {
        ...r,
        error: { name: cut(r.error.name, 100), message: cut(r.error.message, 200), stack: r.error.stack },
        context: {},
        resource: { ...r.resource, gpus: [] },
        truncated: true,
      },
      fits,
    ),
];

/**
 * The payload of a report: ASCII JSON of at most `limit` bytes (8192), cut
 * as described above. Throws only if even the smallest form does not fit,
 * which a limit of 8192 never causes.
 */
export function encodeCrashPayload(report: CrashReport, limit = MAX_PAYLOAD_BYTES): string {
  const fits = (r: CrashReport) => asciiJson(r).length <= limit;
  let current = report;
  for (const step of [(r: CrashReport) => r, ...SHRINK_STEPS.map((s) => (r: CrashReport) => s(r, fits))]) {
    current = step(current);
    if (fits(current)) return asciiJson(current);
  }
  throw new RangeError(`crash report does not fit ${limit} bytes even when cut`);
}
