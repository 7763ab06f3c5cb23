// Cores for the crashprobe cases: the gunzipped vector cores, and a >= 1 GiB core made with gcore
// from a C program that touches 1.1 GiB of heap. Generated once per bench run into workDir.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { compileC } from './compile-c.ts';
import { REPO_ROOT } from './telemd.ts';

const VECTOR_CORES = path.join(REPO_ROOT, 'test/vectors/crash/cores');

/** name (crashme-g) -> path of the gunzipped core. */
export function vectorCores(workDir: string): Map<string, string> {
  const cores = new Map<string, string>();
  if (!existsSync(VECTOR_CORES)) return cores;
  for (const file of readdirSync(VECTOR_CORES)) {
    if (!file.endsWith('.core.gz')) continue;
    const name = file.slice(0, -'.core.gz'.length);
    const out = path.join(workDir, `${name}.core`);
    if (!existsSync(out)) writeFileSync(out, gunzipSync(readFileSync(path.join(VECTOR_CORES, file))));
    cores.set(name, out);
  }
  return cores;
}

export interface BigCore {
  readonly path: string;
  readonly bytes: number;
  /** Process name and executable path, for crashprobe's -p and -E. */
  readonly name: string;
  readonly exe: string;
}

let bigCorePromise: Promise<BigCore | string> | null = null;

/** The big core, or why it cannot be produced here. */
export function bigCore(workDir: string): Promise<BigCore | string> {
  bigCorePromise ??= makeBigCore(workDir);
  return bigCorePromise;
}

async function makeBigCore(workDir: string): Promise<BigCore | string> {
  const built = compileC('big-core', workDir);
  if ('error' in built) return built.error;
  const { exe } = built;
  const child = spawn(exe, ['1100'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    child.stdout.setEncoding('utf8');
    const [line] = (await Promise.race([once(child.stdout, 'data'), once(child, 'exit')])) as [unknown];
    if (typeof line !== 'string' || !line.startsWith('ready')) return 'big-core program did not start';
    const prefix = path.join(workDir, 'big');
    try {
      execFileSync('gcore', ['-o', prefix, String(child.pid)], { stdio: 'pipe', timeout: 120_000 });
    } catch (err) {
      return `gcore failed (ptrace not permitted?): ${(err as Error).message.split('\n')[0]}`;
    }
    const corePath = `${prefix}.${child.pid}`;
    if (!existsSync(corePath)) return `gcore wrote no ${corePath}`;
    const bytes = statSync(corePath).size;
    if (bytes < 2 ** 30) return `gcore wrote only ${bytes} bytes`;
    return { path: corePath, bytes, name: 'big-core', exe };
  } finally {
    child.kill('SIGKILL');
  }
}
