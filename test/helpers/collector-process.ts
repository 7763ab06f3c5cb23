// The built telemetrics-collector (packages/collector/dist) as a child process, for e2e tests:
//
//   await using c = await spawnCollector({ db: `sqlite:${dir}/c.db` });   // or a postgres:// URL
//   c.url; c.v2Url; await c.waitForLog(/stopped/); c.child.kill('SIGKILL');
//
// It listens on 127.0.0.1 port 0 (or `port`); the port is read from its `listening` log line.
import { type ChildProcess, spawn } from 'node:child_process';
import { childLog } from './child-log.ts';
import { binPath } from './run-bin.ts';

export const COLLECTOR_MAIN = binPath('packages/collector/dist/telemetrics-collector.mjs');

export interface SpawnedCollector extends AsyncDisposable {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  readonly v2Url: string;
  log(): string;
  /** Resolves once stdout matches (it holds the base URL line once listening). */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<void>;
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (null after a signal) once stderr is fully read. */
  readonly exited: Promise<number | null>;
}

export async function spawnCollector(opts: {
  db: string;
  port?: number;
  args?: readonly string[];
}): Promise<SpawnedCollector> {
  const child = spawn(
    process.execPath,
    [
      COLLECTOR_MAIN,
      '--db',
      opts.db,
      '--port',
      String(opts.port ?? 0),
      '--log-level',
      'debug',
      ...(opts.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '' } },
  );
  let stdout = '';
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const stderr = childLog(child, 'collector');
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  const waitForStdout = (pattern: RegExp, timeoutMs = 30_000): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        settle();
      };
      const check = (): void => {
        if (pattern.test(stdout)) finish(resolve);
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`stdout never matched ${pattern}: ${stdout}`))),
        timeoutMs,
      );
      child.stdout!.on('data', check);
      check();
    });
  const waitForLog = stderr.waitForLine;
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  let line: string;
  try {
    line = await waitForLog(/^<5>listening /);
  } catch (err) {
    await kill();
    throw err;
  }
  const port = Number(/ port=(\d+)/.exec(line)![1]);
  const url = `http://127.0.0.1:${port}`;
  return {
    child,
    port,
    url,
    v2Url: `${url}/v2/collector`,
    log: stderr.text,
    waitForStdout,
    waitForLog,
    exited,
    [Symbol.asyncDispose]: kill,
  };
}
