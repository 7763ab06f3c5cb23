// kill -9 a process writing the spool at random points, many times; then
// recover: no half file is ever visible under a record name, every record
// whose put() resolved is present and complete, temp files are cleaned.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeSpoolFile } from '@telemetrics/libtelemetry/wire';
import { createSpoolStore } from '../../packages/telemd/src/spool/store.ts';
import { idOf, tempDir } from '../helpers/spool.ts';
import { mulberry32, seedFromEnv } from '../helpers/prng.ts';

const WRITER = fileURLToPath(new URL('../fixtures/spool-writer.ts', import.meta.url));

async function runAndKill(dir: string, start: number, killAfterLines: number): Promise<number[]> {
  const child = spawn(process.execPath, [WRITER, dir, String(start)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked: number[] = [];
  let buf = '';
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) acked.push(Number(l));
      if (acked.length >= killAfterLines && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`writer exited ${code}: ${stderr}`));
    });
  });
  return acked;
}

test('kill -9 while writing the spool, 20 times: all acknowledged records complete, no half files', async () => {
  using tmp = tempDir();
  const seed = seedFromEnv();
  console.log(`spool crash seed=${seed} (TELEM_FC_SEED=${seed} to replay)`);
  const rand = mulberry32(seed);
  const acked = new Set<number>();
  let start = 0;
  let tempsSeen = 0;
  for (let round = 0; round < 20; round++) {
    const got = await runAndKill(tmp.dir, start, 1 + Math.floor(rand() * 60));
    for (const id of got) acked.add(id);
    start += 100_000;
    // Whatever the kill left: every visible name is a complete record.
    for (const name of readdirSync(tmp.dir)) {
      if (name.startsWith('.')) {
        tempsSeen++;
        continue;
      }
      const r = decodeSpoolFile(readFileSync(path.join(tmp.dir, name)));
      assert.ok(r.ok, `round ${round}: ${name} is complete`);
    }
    // Recovery as the daemon does it at start.
    const store = createSpoolStore({ dir: tmp.dir, maxBytes: -1, uid: process.getuid!() });
    await store.open();
    assert.deepEqual(
      readdirSync(tmp.dir).filter((n) => n.startsWith('.tmp-')),
      [],
      'temps cleaned at start',
    );
    const ids = new Set<number>();
    let bytes = 0;
    for (const name of readdirSync(tmp.dir)) {
      const raw = readFileSync(path.join(tmp.dir, name));
      bytes += raw.length;
      const r = decodeSpoolFile(raw);
      assert.ok(r.ok);
      ids.add(idOf(r.value as Parameters<typeof idOf>[0]));
    }
    for (const id of acked) assert.ok(ids.has(id), `acknowledged record ${id} survived kill -9`);
    assert.equal(store.bytes, bytes, 'usage measured exactly at start');
  }
  assert.ok(acked.size >= 20);
  console.log(`acknowledged ${acked.size} records; temp files found after kills: ${tempsSeen}`);
});
