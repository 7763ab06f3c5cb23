// Counters and the diagnostics_channel names telemd publishes on. Channels are
// free when nobody subscribes; tests subscribe to await "record handled".
// The second half (CHANNELS, createMetrics, createStatusWriter) is the spool
// pipeline's counters and the status file `telemctl status` reads (format in
// docs/operations.md, "Counters and the status file").
import diagnostics_channel from 'node:diagnostics_channel';
import { mkdir } from '@telemetrics/libtelemetry/internal/fs-async';
import path from 'node:path';
import type { Logger } from '@telemetrics/libtelemetry/log';
import { writeFileDurably } from '../write-durably.ts';
import type { TelemRecord } from '../record.ts';
import { monotonicMs } from './clock.ts';

export const Channels = {
  /** A frame passed intake validation and was handed to the pipeline: `{ record, peer }`. */
  accepted: 'telemd:record:accepted',
  /** A frame was refused at intake: `{ code, detail, bytes, peer }`. */
  rejected: 'telemd:record:rejected',
  /** The sink answered 200/201: `{ record, status }`. */
  delivered: 'telemd:record:delivered',
  /** A connection was shed at accept because too many were open: `{ open }`. */
  shed: 'telemd:connection:shed',
} as const;

export type ChannelName = (typeof Channels)[keyof typeof Channels];

/** Node exposes no SO_PEERCRED, so a peer is known only by its connection number. */
export interface PeerInfo {
  readonly connection: number;
}

export interface AcceptedMessage {
  readonly record: TelemRecord;
  readonly peer: PeerInfo;
}
export interface RejectedMessage {
  readonly code: string;
  readonly detail: string;
  readonly bytes: number;
  readonly peer: PeerInfo;
}

export function publish(name: ChannelName, message: object): void {
  const channel = diagnostics_channel.channel(name);
  if (channel.hasSubscribers) channel.publish(message);
}

/** Intake's counters (the pipeline keeps its own in Metrics; the exit line is Daemon.summary()). */
export interface Counters {
  connections: number;
  shed: number;
  accepted: number;
  rejected: number;
  readonly rejectedByCode: Map<string, number>;
}

export function createCounters(): Counters {
  return {
    connections: 0,
    shed: 0,
    accepted: 0,
    rejected: 0,
    rejectedByCode: new Map(),
  };
}

// --- spool pipeline counters and status file ---

export const CHANNELS = {
  accepted: 'telemd:record:accepted',
  rejected: 'telemd:record:rejected',
  spooled: 'telemd:record:spooled',
  delivered: 'telemd:record:delivered',
  retried: 'telemd:record:retried',
  dropped: 'telemd:record:dropped',
  expired: 'telemd:record:expired',
  quarantined: 'telemd:record:quarantined',
  deliveryError: 'telemd:delivery:error',
} as const;

export type CounterName = Exclude<keyof typeof CHANNELS, 'dropped' | 'deliveryError'>;

/** Why a record was dropped on purpose (the `dropped{reason}` counter). */
export type DropReason =
  | 'rate_limited' // rate_limit_strategy=drop
  | 'spool_full' // spool_max_size reached and the one direct attempt failed
  | 'spool_io' // the spool could not be written (ENOSPC, EIO) and the direct attempt failed
  | 'delivery_disabled' // record_server_delivery_enabled=false
  | 'quarantine_evicted' // the oldest quarantine entry of its kind, past that kind's bound
  | 'quarantine_too_large' // an entry bigger than its quarantine kind's byte bound
  | 'otlp_evicted' // the oldest record of the OTLP outbox, past otlp_spool_max_files/_size
  | 'otlp_expired' // an OTLP outbox record older than record_expiry
  | 'otlp_too_large'; // a record bigger than the OTLP outbox's whole byte bound

export interface DeliveryErrorInfo {
  readonly at: string;
  readonly status?: number | undefined;
  readonly message: string;
}

export interface SpoolGauge {
  readonly bytes: number;
  readonly files: number;
  readonly maxBytes: number;
}

export interface StatusDocument {
  readonly version: 1;
  readonly pid: number;
  readonly updatedAt: string;
  readonly counters: Readonly<Record<CounterName, number>> & {
    readonly dropped: Readonly<Record<string, number>>;
  };
  readonly spool: SpoolGauge;
  readonly lastDeliveryError: DeliveryErrorInfo | null;
}

export type MetricFields = Readonly<Record<string, unknown>>;

export interface Metrics {
  inc(name: CounterName, fields?: MetricFields): void;
  dropped(reason: DropReason, fields?: MetricFields): void;
  deliveryError(info: { status?: number | undefined; message: string }): void;
  /** Snapshot for the status file. */
  snapshot(pid: number, spool: SpoolGauge): StatusDocument;
  get(name: CounterName): number;
  getDropped(reason: DropReason): number;
  /** Called after every change (the status writer schedules a write). */
  onChange: (() => void) | undefined;
}

export function createMetrics(wallNow: () => number = Date.now): Metrics {
  const counters: Record<CounterName, number> = {
    accepted: 0,
    rejected: 0,
    spooled: 0,
    delivered: 0,
    retried: 0,
    expired: 0,
    quarantined: 0,
  };
  const dropped: Record<string, number> = {};
  let lastError: DeliveryErrorInfo | null = null;
  const channels = Object.fromEntries(
    Object.entries(CHANNELS).map(([k, v]) => [k, diagnostics_channel.channel(v)]),
  ) as Record<keyof typeof CHANNELS, diagnostics_channel.Channel>;

  const m: Metrics = {
    onChange: undefined,
    inc(name, fields = {}) {
      counters[name]++;
      // intake (daemon.ts) already publishes accepted/rejected with { record, peer }.
      if (name !== 'accepted' && name !== 'rejected' && channels[name].hasSubscribers)
        channels[name].publish({ ...fields, count: counters[name] });
      m.onChange?.();
    },
    dropped(reason, fields = {}) {
      dropped[reason] = (dropped[reason] ?? 0) + 1;
      if (channels.dropped.hasSubscribers) channels.dropped.publish({ ...fields, reason });
      m.onChange?.();
    },
    deliveryError(info) {
      lastError = { at: new Date(wallNow()).toISOString(), status: info.status, message: info.message };
      if (channels.deliveryError.hasSubscribers) channels.deliveryError.publish(lastError);
      m.onChange?.();
    },
    snapshot(pid, spool) {
      return {
        version: 1,
        pid,
        updatedAt: new Date(wallNow()).toISOString(),
        counters: { ...counters, dropped: { ...dropped } },
        spool,
        lastDeliveryError: lastError,
      };
    },
    get(name) {
      return counters[name];
    },
    getDropped(reason) {
      return dropped[reason] ?? 0;
    },
  };
  return m;
}

export interface StatusWriter {
  /** Ask for a write; at most one per intervalMs. */
  schedule(): void;
  close(): Promise<void>;
}

/**
 * Writes the status file atomically (writeFileDurably: temp, fsync, rename) at most once per
 * `intervalMs`. Failures are logged once per streak, never thrown.
 */
export function createStatusWriter(options: {
  readonly file: string;
  readonly render: () => StatusDocument;
  readonly logger: Logger;
  readonly intervalMs?: number;
}): StatusWriter {
  const intervalMs = options.intervalMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  let lastWrite = 0;
  let failing = false;
  let closed = false;

  async function write(): Promise<void> {
    const doc = options.render();
    try {
      await mkdir(path.dirname(options.file), { recursive: true });
      await writeFileDurably(options.file, `${JSON.stringify(doc)}\n`);
      if (failing) options.logger.log('notice', 'status file writable again', { path: options.file });
      failing = false;
    } catch (err) {
      if (!failing) {
        options.logger.log('warning', 'cannot write status file', {
          path: options.file,
          code: (err as NodeJS.ErrnoException).code,
        });
      }
      failing = true;
    }
  }
  function run(): Promise<void> {
    writing = writing.then(write);
    lastWrite = monotonicMs();
    return writing;
  }
  return {
    schedule() {
      if (closed || timer) return;
      const wait = Math.max(0, lastWrite + intervalMs - monotonicMs());
      timer = setTimeout(() => {
        timer = undefined;
        void run();
      }, wait);
      timer.unref();
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await run();
    },
  };
}
