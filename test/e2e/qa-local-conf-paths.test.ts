// QA: etc/telemd.local.conf promises "every path is under ./.local/", but it left status_file at
// its default, so `npm start` as root created /var/lib/telemetry/telemd-status.json on the
// developer's machine (and a non-root start logged a failing status write). Every path-valued
// key whose default is an absolute system path must be overridden with a .local/ path.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_CONFIG, parseConfig, type TelemetryConfig } from '@telemetrics/libtelemetry/config';
import { binPath } from '../helpers/run-bin.ts';

// host_root is read-only: the sandbox reads this machine's real DMI, cpuinfo and os-release.
const HOST_PATHS_ON_PURPOSE = new Set<keyof TelemetryConfig>(['host_root']);

test('every system path in etc/telemd.local.conf is moved under .local/', () => {
  const file = binPath('etc/telemd.local.conf');
  const parsed = parseConfig(fs.readFileSync(file, 'utf8'), file);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.detail);
  assert.deepEqual(parsed.value.warnings, []);
  const pathKeys = (Object.keys(DEFAULT_CONFIG) as (keyof TelemetryConfig)[]).filter((key) => {
    const value = DEFAULT_CONFIG[key];
    return typeof value === 'string' && value.startsWith('/') && !HOST_PATHS_ON_PURPOSE.has(key);
  });
  assert.ok(pathKeys.includes('status_file'));
  for (const key of pathKeys) {
    assert.match(String(parsed.value.config[key]), /^\.local\//, `${key} is not under .local/`);
  }
});
