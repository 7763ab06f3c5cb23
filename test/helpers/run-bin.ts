// Run a built bin (dist/...js) as a real child process with node, feeding
// stdin and collecting stdout, stderr and the exit code. Asynchronous, so a
// server in the test process keeps serving while the child runs.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export interface BinResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function binPath(relativeToRepo: string): string {
  return fileURLToPath(new URL(`../../${relativeToRepo}`, import.meta.url));
}

export async function runBin(
  script: string,
  args: readonly string[],
  options: { readonly input?: Uint8Array | string; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<BinResult> {
  const child = spawn(process.execPath, [script, ...args], {
    env: options.env ?? { PATH: process.env['PATH'] ?? '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('latin1').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  child.stdin.on('error', () => {});
  child.stdin.end(options.input ?? '');
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}
