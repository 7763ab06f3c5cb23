import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CONFIG } from '@telemetrics/libtelemetry/config';
import { classificationSelected, parseOtlpHeaders, resolveOtlpSettings } from './settings.ts';

const on = (result: ReturnType<typeof resolveOtlpSettings>) => {
  assert.ok(result.enabled, JSON.stringify(result));
  return result.settings;
};

test('off unless an endpoint is configured or in the environment', () => {
  assert.deepEqual(resolveOtlpSettings(DEFAULT_CONFIG, {}), { enabled: false });
});

test('OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/logs; the LOGS variable is used as it is', () => {
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' };
  assert.equal(on(resolveOtlpSettings(DEFAULT_CONFIG, env)).url.href, 'http://127.0.0.1:4318/v1/logs');
  const logs = { ...env, OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://127.0.0.1:9/custom' };
  assert.equal(on(resolveOtlpSettings(DEFAULT_CONFIG, logs)).url.href, 'http://127.0.0.1:9/custom');
});

test('the standard variables, and config keys over them', () => {
  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
    OTEL_EXPORTER_OTLP_HEADERS: 'api-key=a%20b,x-tenant=7',
    OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
    OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
    OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/protobuf',
  };
  const s = on(resolveOtlpSettings(DEFAULT_CONFIG, env));
  assert.deepEqual(s.headers, { 'api-key': 'a b', 'x-tenant': '7' });
  assert.equal(s.timeoutMs, 2500);
  assert.equal(s.compression, 'gzip');
  assert.equal(s.protocol, 'http/protobuf');
  const keys = {
    ...DEFAULT_CONFIG,
    otlp_endpoint: 'https://otel.example:4318/v1/logs',
    otlp_timeout_ms: 900,
  };
  const k = on(resolveOtlpSettings(keys, env));
  assert.equal(k.url.href, 'https://otel.example:4318/v1/logs');
  assert.equal(k.timeoutMs, 900);
});

test('unusable settings turn export off with a reason', () => {
  const bad = (env: Record<string, string>) => {
    const r = resolveOtlpSettings(DEFAULT_CONFIG, {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
      ...env,
    });
    assert.ok(!r.enabled && 'error' in r, JSON.stringify(r));
    return r.error;
  };
  assert.match(bad({ OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' }), /compression zstd/);
  assert.match(bad({ OTEL_EXPORTER_OTLP_TIMEOUT: 'soon' }), /timeout/);
  assert.match(bad({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), /protocol grpc/);
  assert.match(bad({ OTEL_EXPORTER_OTLP_HEADERS: 'novalue' }), /not key=value/);
  assert.match(bad({ OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'ftp://x' }), /scheme ftp/);
});

test('headers: control characters and bad names are refused', () => {
  assert.equal(typeof parseOtlpHeaders('a=%0d%0aX-Evil: 1'), 'string');
  assert.equal(typeof parseOtlpHeaders('bad name=1'), 'string');
  assert.deepEqual(parseOtlpHeaders(' a = 1 , ,b=2'), { a: '1', b: '2' });
});

test('classification filter', () => {
  assert.ok(classificationSelected([], 'x/y/z'));
  assert.ok(classificationSelected(['org.telemetrics/node/*'], 'org.telemetrics/node/hang'));
  assert.ok(!classificationSelected(['org.telemetrics/node/*'], 'org.clearlinux/crash/clr'));
  assert.ok(classificationSelected(['org.clearlinux/crash'], 'org.clearlinux/crash/clr'));
  assert.ok(!classificationSelected(['org.clearlinux/crash'], 'org.clearlinux/crashes/x'));
  assert.ok(classificationSelected(['a/b/c', 'org.clearlinux/crash/'], 'org.clearlinux/crash/clr'));
});
