// The built telemetrics-collector as a child process on 127.0.0.1 and a free port,
// with its own SQLite database in a temp dir.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { binPath } from './run-bin.ts';

export const COLLECTOR_MAIN = binPath('packages/collector/dist/telemetrics-collector.mjs');

export interface SpawnedCollector extends AsyncDisposable {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  readonly log: () => string;
}

export async function spawnCollector(dbUrl: string, args: readonly string[] = []): Promise<SpawnedCollector> {
  const child = spawn(process.execPath, [COLLECTOR_MAIN, '--port', '0', '--db', dbUrl, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env['PATH'] ?? '' },
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const port = await new Promise<number>((resolve, reject) => {
    // a deadline, not a timing: node start-up on a loaded 2-core box can take seconds
    const timer = setTimeout(() => reject(new Error(`collector did not listen:\n${stderr}`)), 60_000);
    const check = (): void => {
      const m = /listening host=\S+ port=([0-9]+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        child.stderr!.off('data', check);
        resolve(Number(m[1]));
      }
    };
    child.stderr!.on('data', check);
    child.once('close', () => reject(new Error(`collector exited:\n${stderr}`)));
  });
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    log: () => stderr,
    async [Symbol.asyncDispose]() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'close');
      }
    },
  };
}
