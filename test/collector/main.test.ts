// The runnable collector (main.ts) as a real child process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { readVector } from '../helpers/vectors.ts';
import { sendRaw } from './raw-http.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

test('prints its URLs, logs one line per request, exits 0 on SIGTERM', async () => {
  const child = spawn(process.execPath, [MAIN, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  child.stdout.setEncoding('utf8');
  while (!stdout.includes('/v3/collector\n')) {
    const [chunk] = (await Promise.race([once(child.stdout, 'data'), once(child, 'exit')])) as [string];
    if (child.exitCode !== null) assert.fail(`collector exited: ${stderr}`);
    stdout += chunk;
  }
  const [url] = stdout.split('\n');
  assert.match(url ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
  const port = Number(new URL(url!).port);
  const res = await sendRaw(port, readVector('http/v2.3.5-hprobe.request.http'));
  assert.equal(res.status, 201);
  while (!stderr.includes('\n')) await once(child.stderr, 'data');
  assert.match(
    stderr,
    /^<6>POST \/v2\/collector status=201 id=1 classification=org\.clearlinux\/hello\/world\n/,
  );
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
});

/** Runs main.ts to completion; 'close' (not 'exit') so stdout and stderr are complete. */
async function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

test('a usage error exits 2 with one line and a pointer to --help', async () => {
  const { code, stderr } = await run(['--bogus']);
  assert.equal(code, 2);
  assert.match(stderr, /^collector: .*--bogus.*; try --help\n$/);
});

test('--help describes the routes and options', async () => {
  const { code, stdout } = await run(['--help']);
  assert.equal(code, 0);
  for (const word of ['--port', '--tid', '--tls', '/v2/collector', '/v3/collector', '/api/records']) {
    assert.ok(stdout.includes(word), word);
  }
});
