import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { createMemoryLogger } from '@telemetrics/libtelemetry/log';
import {
  createMachineIdSource,
  MACHINE_ID_EXPIRY_MS,
  type MachineIdOptions,
  type MachineIdSource,
  parseOverride,
} from './machine-id.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telem-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function counterRandom(): (n: number) => Buffer {
  let i = 0;
  return (n) => Buffer.alloc(n, ++i);
}

/** No static override, ids 0101.., 0202.. in turn, no refresh timer; `options` override. */
function rotatingSource(idFile: string, options: Partial<MachineIdOptions> = {}): Promise<MachineIdSource> {
  return createMachineIdSource({
    staticFile: path.join(dir, 'none'),
    idFile,
    logger: createMemoryLogger(),
    randomBytes: counterRandom(),
    timer: false,
    ...options,
  });
}

test('parseOverride: first 32 bytes up to the first newline; empty ignored; leading newline ignored', () => {
  assert.deepEqual(parseOverride(Buffer.from('static-id\nmore')), { id: 'static-id' });
  assert.deepEqual(parseOverride(Buffer.from('A'.repeat(40))), { id: 'A'.repeat(32) });
  assert.deepEqual(parseOverride(Buffer.from('with space')), { id: 'with space' });
  assert.deepEqual(parseOverride(Buffer.alloc(0)), {});
  assert.ok(parseOverride(Buffer.from('\nabc')).warning);
  assert.equal(parseOverride(Buffer.from('\nabc')).id, undefined);
  assert.ok(parseOverride(Buffer.from('a\tb')).warning);
});

test('static override wins and no id file is written', async () => {
  const staticFile = path.join(dir, 'static');
  const idFile = path.join(dir, 'machine_id');
  fs.writeFileSync(staticFile, 'my-static-id\n');
  const src = await createMachineIdSource({ staticFile, idFile, logger: createMemoryLogger(), timer: false });
  assert.equal(src.current(), 'my-static-id');
  assert.equal(src.isStatic, true);
  assert.equal(fs.existsSync(idFile), false);
  src.close();
});

test('override starting with a newline is ignored with a warning; the rotating id is used', async () => {
  const staticFile = path.join(dir, 'static');
  fs.writeFileSync(staticFile, '\nlater');
  const logger = createMemoryLogger();
  const src = await createMachineIdSource({
    staticFile,
    idFile: path.join(dir, 'machine_id'),
    logger,
    timer: false,
  });
  assert.match(src.current(), /^[0-9a-f]{32}$/);
  assert.ok(logger.lines.some((l) => l.startsWith('<4>') && l.includes('newline')));
  src.close();
});

test('missing id file: generated as 32 hex, written without newline, directory created', async () => {
  const idFile = path.join(dir, 'sub', 'machine_id');
  const src = await rotatingSource(idFile);
  assert.equal(src.current(), '01'.repeat(16));
  assert.equal(fs.readFileSync(idFile, 'latin1'), '01'.repeat(16));
  assert.deepEqual(
    fs.readdirSync(path.dirname(idFile)).filter((n) => n.endsWith('.tmp')),
    [],
  );
  src.close();
});

test('rotation: kept while younger than 3 days, replaced after (checked on refresh)', async () => {
  const idFile = path.join(dir, 'machine_id');
  fs.writeFileSync(idFile, 'abcdefabcdefabcdefabcdefabcdefab');
  const mtime = fs.statSync(idFile).mtimeMs;
  let now = mtime + 1000;
  const src = await rotatingSource(idFile, { now: () => now });
  assert.equal(src.current(), 'abcdefabcdefabcdefabcdefabcdefab');
  now = mtime + MACHINE_ID_EXPIRY_MS; // exactly 3 days: C uses ">", still valid
  await src.refresh();
  assert.equal(src.current(), 'abcdefabcdefabcdefabcdefabcdefab');
  now = mtime + MACHINE_ID_EXPIRY_MS + 1;
  await src.refresh();
  assert.equal(src.current(), '01'.repeat(16));
  assert.equal(fs.readFileSync(idFile, 'latin1'), '01'.repeat(16));
  src.close();
});

test('an empty id file (a C crash mid-write) is regenerated, never used empty', async () => {
  const idFile = path.join(dir, 'machine_id');
  fs.writeFileSync(idFile, '');
  const src = await rotatingSource(idFile);
  assert.equal(src.current(), '01'.repeat(16));
  assert.equal(fs.readFileSync(idFile, 'latin1'), '01'.repeat(16));
  src.close();
});

test('unwritable id location: an in-memory id is used and the error logged', async () => {
  const blocker = path.join(dir, 'file');
  fs.writeFileSync(blocker, 'x');
  const logger = createMemoryLogger();
  const src = await rotatingSource(path.join(blocker, 'machine_id'), { logger }); // parent is a regular file
  assert.equal(src.current(), '01'.repeat(16));
  assert.ok(logger.lines.some((l) => l.startsWith('<3>') && l.includes('code=TELEMD_MACHINE_ID')));
  src.close();
});
