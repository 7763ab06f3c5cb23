// Wall time and peak RSS of a short-lived command, measured by the small C wrapper run-stat.c
// (compiled once per bench run with the system cc).
import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { compileC } from './compile-c.ts';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

export interface RunStat {
  readonly wallMs: number;
  readonly peakRssMiB: number;
  /** User + system CPU time of the command (all threads), ms: barely moves with machine load. */
  readonly cpuMs: number;
  readonly exitCode: number;
  readonly stderr: string;
}

export interface RunStatTool {
  run(
    command: string,
    args: readonly string[],
    options?: { stdin?: Readable | 'ignore'; env?: NodeJS.ProcessEnv },
  ): Promise<RunStat>;
}

/** Builds the wrapper into workDir; a reason instead when no C compiler is available. */
export function buildRunStat(workDir: string): RunStatTool | string {
  const built = compileC('run-stat', workDir);
  if ('error' in built) return built.error;
  const { exe } = built;
  let counter = 0;
  return {
    async run(command, args, options = {}) {
      const out = path.join(workDir, `run-stat.${process.pid}.${counter++}`);
      const child: ChildProcess = spawn(exe, [out, command, ...args], {
        stdio: [options.stdin ?? 'ignore', 'ignore', 'pipe'],
        env: options.env ?? process.env,
      });
      let stderr = '';
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => {
        if (stderr.length < 8192) stderr += chunk;
      });
      const [code] = (await once(child, 'exit')) as [number | null];
      if (code !== 0) throw new Error(`run-stat failed (exit ${code}): ${stderr.trim()}`);
      const [ns, maxrss, status, cpuUs] = readFileSync(out, 'utf8').trim().split(' ').map(Number);
      rmSync(out, { force: true });
      return {
        wallMs: (ns ?? Number.NaN) / 1e6,
        peakRssMiB: (maxrss ?? Number.NaN) / 1024,
        cpuMs: (cpuUs ?? Number.NaN) / 1000,
        exitCode: status ?? -1,
        stderr,
      };
    },
  };
}
