import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ErrorCodes, TelemetryError } from '../errors.ts';
import { loadConfig } from './load.ts';
import { DEFAULT_CONFIG } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'telem-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function rejectsWith(promise: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof TelemetryError);
    assert.equal(err.code, code);
    assert.match(err.message, re);
    return true;
  });
}

test('check_read_config_for_invalid_file: a missing explicit file is an error', async () => {
  await rejectsWith(
    loadConfig({ configFile: join(dir, 'somefile') }),
    ErrorCodes.TELEM_INVALID_CONFIG_PATH,
    /somefile/,
  );
});

test('an explicit directory is not a regular file', async () => {
  await rejectsWith(
    loadConfig({ configFile: dir }),
    ErrorCodes.TELEM_INVALID_CONFIG_PATH,
    /not a regular file/,
  );
});

test('check_config_initialised: the explicit file wins over the search paths', async () => {
  const explicit = file('explicit.conf', '[settings]\nspool_process_time=180\n');
  const etc = file('etc.conf', '[settings]\nspool_process_time=200\n');
  const loaded = await loadConfig({ configFile: explicit, searchPaths: [etc] });
  assert.equal(loaded.path, explicit);
  assert.equal(loaded.config.spool_process_time, 180);
  assert.equal(loaded.config.rate_limit_strategy, 'spool');
});

test('search paths: the first readable one is read, and only that one (no merging)', async () => {
  const first = file('first.conf', '[settings]\nserver=http://first\n');
  const second = file('second.conf', '[settings]\nserver=http://second\ncainfo=/ca\n');
  const loaded = await loadConfig({ searchPaths: [join(dir, 'missing.conf'), first, second] });
  assert.equal(loaded.path, first);
  assert.equal(loaded.config.server, 'http://first');
  assert.equal(loaded.config.cainfo, DEFAULT_CONFIG.cainfo);
});

test('no file at all gives the built-in defaults', async () => {
  const loaded = await loadConfig({ searchPaths: [join(dir, 'nope1'), join(dir, 'nope2')] });
  assert.deepEqual(loaded, { config: DEFAULT_CONFIG, path: null, warnings: [] });
});

test('syntax and value errors are thrown with file:line', async () => {
  const syntax = file('syntax.conf', '[settings]\nnot a pair\n');
  await rejectsWith(loadConfig({ configFile: syntax }), ErrorCodes.TELEM_CONFIG_SYNTAX, /syntax\.conf:2:/);
  const value = file('value.conf', '[settings]\nbyte_window_length=75\n');
  await rejectsWith(
    loadConfig({ searchPaths: [value] }),
    ErrorCodes.TELEM_CONFIG_VALUE,
    /value\.conf:2: byte_window_length/,
  );
});

test('warnings are passed back', async () => {
  const p = file('warn.conf', '[settings]\nfoo=bar\n');
  const loaded = await loadConfig({ configFile: p });
  assert.equal(loaded.warnings.length, 1);
  assert.match(loaded.warnings[0] ?? '', /warn\.conf:2: unknown key "foo"/);
});

test('a selected file that cannot be read is TELEM_CONFIG_READ', async () => {
  // A directory passes access(R_OK) but cannot be read as a file: no root needed.
  const sub = join(dir, 'conf.d');
  mkdirSync(sub);
  await rejectsWith(loadConfig({ searchPaths: [sub] }), ErrorCodes.TELEM_CONFIG_READ, /conf\.d/);
});

test('an unreadable search path is skipped', {
  skip: process.getuid?.() === 0 && 'root reads anything',
}, async () => {
  const p = file('unreadable.conf', '[settings]\nserver=http://x\n');
  chmodSync(p, 0o000);
  const loaded = await loadConfig({ searchPaths: [p] });
  assert.equal(loaded.path, null);
});
