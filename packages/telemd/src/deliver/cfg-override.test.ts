import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createMemoryLogger } from '@telemetrics/libtelemetry/log';
import { createOverrideResolver } from './cfg-override.ts';

// QA: probes run with the daemon's own -f file (the README's local sandbox) sent it as CFG:,
// and a non-root developer's file is not root-owned, so telemd logged TELEMD_CFG_OVERRIDE
// for every record although the file *is* the main config.
test('qa: a CFG: naming the daemon’s own config file is the main config, without a warning', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telem-'));
  try {
    const main = path.join(dir, 'main.conf');
    const other = path.join(dir, 'other.conf');
    fs.writeFileSync(main, '[settings]\n');
    fs.writeFileSync(other, '[settings]\n');
    const logger = createMemoryLogger();
    const loads: string[] = [];
    const resolveOverride = createOverrideResolver({
      load: async (p) => {
        loads.push(p);
        return { server: 'http://override.invalid/', tidheader: 'X: 1', cainfo: '' };
      },
      logger,
      // Nobody owns the files as this uid, so any other file is refused.
      trustedUid: (process.getuid?.() ?? 0) + 1,
      mainConfigFile: main,
    });
    assert.equal(await resolveOverride(main), undefined);
    assert.deepEqual(logger.lines, []);
    assert.equal(await resolveOverride(other), undefined);
    assert.equal(logger.lines.length, 1);
    assert.match(logger.lines[0]!, /TELEMD_CFG_OVERRIDE/);
    assert.deepEqual(loads, []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
