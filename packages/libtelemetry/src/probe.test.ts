import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { listenForFrames } from '../../../test/helpers/frame-listener.ts';
import { ErrorCodes, TelemetryError } from './errors.ts';
import { loadProbeConfig, sendProbeRecord } from './probe.ts';
import { decodeFrame } from './wire/frame.ts';

const dir = mkdtempSync(join(tmpdir(), 'telem-'));
after(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'root/proc'), { recursive: true });
writeFileSync(join(dir, 'root/proc/cpuinfo'), 'model name\t: Test CPU\n');
writeFileSync(join(dir, 'opt-in'), '');
const socket = join(dir, 'telem-0');
const conf = join(dir, 'probe.conf');
writeFileSync(
  conf,
  `[settings]\nsocket_path=${socket}\nopt_in_file=${join(dir, 'opt-in')}\nhost_root=${join(dir, 'root')}\n`,
);

test('sendProbeRecord: config file, host facts under host_root, CFG: in the frame', async () => {
  await using listener = await listenForFrames(socket);
  const sent = await sendProbeRecord({
    severity: 9,
    classification: 'org.example/probe/test',
    payload: 'hi\n',
    configFile: conf,
  });
  assert.equal(sent.headers.severity, '4');
  const decoded = decodeFrame(await listener.connections[0]!);
  assert.ok(decoded.ok);
  assert.equal(decoded.value.cfgPath, conf);
  assert.deepEqual(decoded.value.headers, sent.headers);
  assert.equal(decoded.value.headers.cpu_model, 'Test CPU');
  assert.equal(decoded.value.headers.system_name, 'unknown');
  assert.equal(decoded.value.payload.toString(), 'hi\n');
});

test('loadProbeConfig: an explicit file must be absolute (tm_set_config_file)', async () => {
  await assert.rejects(
    loadProbeConfig('probe.conf'),
    (err: unknown) => err instanceof TelemetryError && err.code === ErrorCodes.TELEM_INVALID_CONFIG_PATH,
  );
  const loaded = await loadProbeConfig(conf);
  assert.equal(loaded.cfgPath, conf);
  assert.equal(loaded.config.socket_path, socket);
});
