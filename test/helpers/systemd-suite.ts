// One container per test file for the systemd-as-PID-1 tests (test/e2e/systemd-*.test.ts):
// booted and installed before the file's tests, stopped after them, and a `need(t)` each
// test calls first, which skips (or, in CI, fails) when systemd-nspawn is missing.
//
//   const need = systemdSuite({ settings: (c) => ({ server: c.v2Url, ...QUICK_DELIVERY }), setup: 'telemctl opt-in' });
//   test('...', async (t) => { const env = need(t); if (!env) return; ... });
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { type Collector, startCollector } from './collector.ts';
import { lacks } from './need.ts';
import { bootContainer, type Container, installTelemetrics, nspawnMissing } from './nspawn.ts';

type Settings = Record<string, string | number>;
type Skippable = { skip(message?: string): void };

/** For tests that watch delivery: a quick idle exit and retry, records that never expire. */
export const QUICK_DELIVERY = {
  idle_exit_seconds: 2,
  record_expiry: -1,
  delivery_retry_base_ms: 200,
} as const;

export interface SuiteSetup<H> {
  /** What the host provides before the container boots (a collector, a port). */
  readonly host: () => Promise<H>;
  /** Closes what `host` started, after the container has stopped. */
  readonly closeHost?: (host: H) => Promise<void>;
  /** telemetrics.conf's settings, written by installTelemetrics(). */
  readonly settings: (host: H) => Settings;
  /** A shell command run inside after the install (e.g. `telemctl opt-in`). */
  readonly setup?: string;
  /** Anything else the file's tests need inside, after `setup`. */
  readonly prepare?: (ct: Container) => Promise<void>;
}

/**
 * Registers the before/after hooks of a file whose tests share one installed container,
 * and returns its `need(t)`: the container and what the host provides, or undefined after
 * skipping when systemd-nspawn is missing.
 */
export function containerSuite<H>(
  s: SuiteSetup<H>,
): (t: Skippable) => { ct: Container; host: H } | undefined {
  const missing = nspawnMissing();
  let ct: Container | undefined;
  let host: { value: H } | undefined;
  before(async () => {
    if (missing) return;
    host = { value: await s.host() };
    ct = await bootContainer();
    await installTelemetrics(ct, s.settings(host.value));
    if (s.setup) await ct.sh(s.setup);
    await s.prepare?.(ct);
  });
  after(async () => {
    await ct?.stop();
    if (host) await s.closeHost?.(host.value);
  });
  return (t) => {
    if (lacks(t, missing)) return undefined;
    assert.ok(ct && host);
    return { ct, host: host.value };
  };
}

/** containerSuite() with a collector on the host's loopback (the container shares its network). */
export function systemdSuite(s: {
  readonly settings: (collector: Collector) => Settings;
  readonly setup?: string;
  readonly prepare?: (ct: Container) => Promise<void>;
}): (t: Skippable) => { ct: Container; collector: Collector } | undefined {
  const need = containerSuite({ ...s, host: () => startCollector(), closeHost: (c) => c.close() });
  return (t) => {
    const env = need(t);
    return env && { ct: env.ct, collector: env.host };
  };
}
