// The rate limiter telemd applies before each delivery attempt (spec 8.6):
// a record limit and a byte limit, each over its own sliding minute window.
// Bytes are real bytes: the size of the record's spool file encoding
// (spoolFileSize(): CFG line + 15 header lines + payload + LF), the same
// number whether the record is delivered directly or from the spool. C
// counted 4 per record (BUG-19). Counts end up only on records that were
// delivered, as C updates only after a successful POST; attempts reserve
// their count first (acquire) and refund it on failure, so parallel attempts
// cannot overshoot the limit.
import { ErrorCodes, TelemetryError } from '@telemetrics/libtelemetry';
import type { TelemetryConfig } from '@telemetrics/libtelemetry/config';
import {
  createWindows,
  MAX_WINDOW_MINUTES,
  MS_PER_MINUTE,
  type MinuteWindows,
  minutesUntilAllowed,
  minuteOf,
  windowAdd,
  windowAllows,
  windowSubtract,
} from './limit-windows.ts';

export type LimiterConfig = Pick<
  TelemetryConfig,
  | 'rate_limit_enabled'
  | 'record_burst_limit'
  | 'record_window_length'
  | 'byte_burst_limit'
  | 'byte_window_length'
>;

export type LimitVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly limit: 'records' | 'bytes'; readonly retryInMs: number };

/** A counted attempt; refund it if the delivery did not succeed. */
export interface LimitReservation {
  readonly minute: number;
  readonly bytes: number;
}

export interface Limiter {
  /** Would one record of `bytes` bytes fit now? Does not count it. */
  check(bytes: number): LimitVerdict;
  /**
   * check() and count at once, before the attempt: concurrent attempts cannot
   * all pass a check that only later deliveries would have failed.
   */
  acquire(
    bytes: number,
  ): (LimitVerdict & { readonly ok: false }) | { readonly ok: true; readonly reservation: LimitReservation };
  /** The attempt did not deliver: C counts only successful sends, so take it back. */
  refund(reservation: LimitReservation): void;
  readonly enabled: boolean;
}

function checkWindow(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_WINDOW_MINUTES) {
    // C exits on the first record instead, even with limits off (BUG-21): a crash loop under systemd.
    throw new TelemetryError(
      ErrorCodes.TELEM_CONFIG_VALUE,
      `${name} must be 0..${MAX_WINDOW_MINUTES} minutes, got ${value}`,
    );
  }
}

/** Throws TELEM_CONFIG_VALUE for a window outside 0..59 of an enabled limit (createLimiter checks it too). */
export function checkLimiterConfig(config: LimiterConfig): void {
  if (config.rate_limit_enabled && config.record_burst_limit >= 0) {
    checkWindow('record_window_length', config.record_window_length);
  }
  if (config.rate_limit_enabled && config.byte_burst_limit >= 0) {
    checkWindow('byte_window_length', config.byte_window_length);
  }
}

/**
 * Build a limiter. `monotonicMs` is injected (observe/clock.ts in the
 * daemon) so wall-clock jumps do not move the windows (BUG-51). Throws
 * TELEM_CONFIG_VALUE at construction, i.e. at daemon start, for a window
 * outside 0..59 of an enabled limit.
 */
export function createLimiter(config: LimiterConfig, monotonicMs: () => number): Limiter {
  checkLimiterConfig(config);
  const recordOn = config.rate_limit_enabled && config.record_burst_limit >= 0;
  const byteOn = config.rate_limit_enabled && config.byte_burst_limit >= 0;
  const records: MinuteWindows = createWindows();
  const bytesW: MinuteWindows = createWindows();

  function retryIn(w: MinuteWindows, now: number, window: number, limit: number, inc: number): number {
    const minute = minuteOf(now);
    const minutes = minutesUntilAllowed(w, minute, window, limit, inc);
    if (!Number.isFinite(minutes)) return Number.POSITIVE_INFINITY;
    if (minutes === 0) return 0;
    return (minute + minutes) * MS_PER_MINUTE - now;
  }

  /** The verdict at one instant: check() and acquire() each read the clock once. */
  function verdictAt(now: number, bytes: number): LimitVerdict {
    const minute = minuteOf(now);
    const {
      record_window_length: rw,
      record_burst_limit: rl,
      byte_window_length: bw,
      byte_burst_limit: bl,
    } = config;
    if (recordOn && !windowAllows(records, minute, rw, rl, 1)) {
      return { ok: false, limit: 'records', retryInMs: retryIn(records, now, rw, rl, 1) };
    }
    if (byteOn && !windowAllows(bytesW, minute, bw, bl, bytes)) {
      return { ok: false, limit: 'bytes', retryInMs: retryIn(bytesW, now, bw, bl, bytes) };
    }
    return { ok: true };
  }

  const limiter: Limiter = {
    enabled: recordOn || byteOn,
    acquire(bytes) {
      const now = monotonicMs();
      const verdict = verdictAt(now, bytes);
      if (!verdict.ok) return verdict;
      const minute = minuteOf(now);
      if (recordOn) windowAdd(records, minute, 1);
      if (byteOn) windowAdd(bytesW, minute, bytes);
      return { ok: true, reservation: { minute, bytes } };
    },
    refund(r) {
      if (recordOn) windowSubtract(records, r.minute, 1);
      if (byteOn) windowSubtract(bytesW, r.minute, r.bytes);
    },
    check(bytes) {
      if (!recordOn && !byteOn) return { ok: true };
      return verdictAt(monotonicMs(), bytes);
    },
  };
  return limiter;
}
