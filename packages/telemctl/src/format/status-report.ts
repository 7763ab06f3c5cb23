// `telemctl status`: the status file telemd's spool writes, parsed without
// trusting it, and the report text. Pure.
import { ErrorCodes, fail, ok, type ParseResult } from '@telemetrics/libtelemetry';

export interface TelemdStatus {
  readonly version: 1;
  readonly pid: number;
  readonly updatedAt: number;
  readonly counters: {
    readonly accepted: number;
    readonly delivered: number;
    readonly spooled: number;
    readonly dropped: Readonly<Record<string, number>>;
    readonly expired: number;
    readonly quarantined: number;
    readonly retried: number;
    readonly rejected: number;
  };
  readonly spool: { readonly bytes: number; readonly files: number; readonly maxBytes: number };
  readonly lastDeliveryError: {
    readonly at: number;
    readonly status?: number;
    readonly message: string;
  } | null;
}

const COUNTERS = [
  'accepted',
  'delivered',
  'spooled',
  'expired',
  'quarantined',
  'retried',
  'rejected',
] as const;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
/** Epoch ms from a number of ms or an ISO 8601 string (the spool writes ISO); 0 when neither. */
function time(v: unknown): number {
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? 0 : t;
  }
  return num(v);
}

/** Missing counters read as 0 (an older writer); a wrong version or shape fails. */
export function parseStatusFile(text: string): ParseResult<TelemdStatus> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return fail(ErrorCodes.TELEM_STATUS_FORMAT, `not JSON: ${(err as Error).message}`);
  }
  if (!isObj(raw)) return fail(ErrorCodes.TELEM_STATUS_FORMAT, 'not a JSON object');
  if (raw['version'] !== 1)
    return fail(ErrorCodes.TELEM_STATUS_FORMAT, `unknown version ${String(raw['version'])}`);
  const c = isObj(raw['counters']) ? raw['counters'] : {};
  const dropped: Record<string, number> = {};
  if (isObj(c['dropped'])) for (const [k, v] of Object.entries(c['dropped'])) dropped[k] = num(v);
  const counters = Object.fromEntries(COUNTERS.map((k) => [k, num(c[k])])) as Record<
    (typeof COUNTERS)[number],
    number
  >;
  const s = isObj(raw['spool']) ? raw['spool'] : {};
  const e = raw['lastDeliveryError'];
  let lastDeliveryError: TelemdStatus['lastDeliveryError'] = null;
  if (isObj(e)) {
    lastDeliveryError = {
      at: time(e['at']),
      message: typeof e['message'] === 'string' ? e['message'] : '',
      ...(typeof e['status'] === 'number' ? { status: e['status'] } : {}),
    };
  }
  return ok({
    version: 1,
    pid: num(raw['pid']),
    updatedAt: time(raw['updatedAt']),
    counters: { ...counters, dropped },
    spool: { bytes: num(s['bytes']), files: num(s['files']), maxBytes: num(s['maxBytes']) },
    lastDeliveryError,
  });
}

export interface StatusFacts {
  /** e.g. "active (telemd.service: active, telemd.socket: active)" or "running (pid 42)". */
  readonly daemon: string;
  readonly optedIn: boolean;
  readonly optInFile: string;
  readonly machineIdFile: string;
  /** mtime in ms, or null when there is no machine id yet. */
  readonly machineIdMtime: number | null;
  readonly statusFile: string;
  /** Null: no status yet; string: the file exists but could not be used. */
  readonly status: TelemdStatus | string | null;
  /** Cap from the config (spool_max_size KiB * 1024), -1 unlimited; used when the status has none. */
  readonly spoolCapBytes: number;
  readonly now: number;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} days ${Math.floor((s % 86400) / 3600)} h`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

const label = (name: string) => (name ? `${name}:` : '').padEnd(21);

function isoOrUnknown(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? 'unknown time' : d.toISOString();
}

export function formatStatus(f: StatusFacts): string {
  let out = '';
  out += `${label('telemd')}${f.daemon}\n`;
  out += `${label('opt-in')}${f.optedIn ? 'yes' : 'no'} (${f.optInFile})\n`;
  out +=
    f.machineIdMtime === null
      ? `${label('machine id')}not created yet (${f.machineIdFile})\n`
      : `${label('machine id')}${formatDuration(f.now - f.machineIdMtime)} old (${f.machineIdFile})\n`;
  if (f.status === null) {
    out += `${label('status')}no status yet (${f.statusFile} does not exist)\n`;
    return out;
  }
  if (typeof f.status === 'string') {
    out += `${label('status')}unusable: ${f.status} (${f.statusFile})\n`;
    return out;
  }
  const st = f.status;
  out += `${label('status')}updated ${formatDuration(f.now - st.updatedAt)} ago by pid ${st.pid} (${f.statusFile})\n`;
  const cap = st.spool.maxBytes > 0 ? st.spool.maxBytes : f.spoolCapBytes;
  const capText =
    cap > 0 ? `of ${formatBytes(cap)} (${Math.round((st.spool.bytes / cap) * 100)}%)` : 'of unlimited';
  out += `${label('spool')}${formatBytes(st.spool.bytes)} in ${st.spool.files} files ${capText}\n`;
  const c = st.counters;
  const droppedTotal = Object.values(c.dropped).reduce((a, b) => a + b, 0);
  const reasons = Object.entries(c.dropped)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  out += `${label('records')}accepted=${c.accepted} delivered=${c.delivered} spooled=${c.spooled} retried=${c.retried}\n`;
  out += `${label('')}expired=${c.expired} quarantined=${c.quarantined} rejected=${c.rejected} dropped=${droppedTotal}${reasons ? ` (${reasons})` : ''}\n`;
  const e = st.lastDeliveryError;
  out += e
    ? `${label('last delivery error')}${isoOrUnknown(e.at)}${e.status !== undefined ? ` HTTP ${e.status}` : ''}: ${e.message}\n`
    : `${label('last delivery error')}none\n`;
  return out;
}
