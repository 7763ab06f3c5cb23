// The harness's small C helpers (run-stat.c, sender.c, big-core.c) are built once per bench run
// with the system compiler; a missing compiler turns into a skip reason, not a crash.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Path of the built executable, or why it could not be built. */
export function compileC(name: string, workDir: string): { exe: string } | { error: string } {
  const exe = path.join(workDir, name);
  const source = new URL(`./${name}.c`, import.meta.url).pathname;
  try {
    execFileSync('cc', ['-O2', '-o', exe, source], { stdio: 'pipe' });
    return { exe };
  } catch (err) {
    return { error: `cannot compile ${name}.c with cc: ${(err as Error).message.split('\n')[0]}` };
  }
}
