// The context a result row is only comparable within: CPU, memory, filesystems, node, commit.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryMiB: number;
  readonly kernel: string;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  readonly loadAverage1m: number;
}

export interface RunContext {
  readonly machine: MachineInfo;
  readonly node: string;
  readonly commit: string;
  readonly timestamp: string;
  /** Filesystem type of each temp root the cases use, e.g. { tmpfs: 'tmpfs', disk: 'ext4' }. */
  readonly filesystems: Readonly<Record<string, string>>;
  /** Which daemon the telemd cases ran against (telemd, reference or a path). */
  readonly daemon: string;
  /** Whether the senders were the C sender or node processes. */
  readonly sender: 'c' | 'node';
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryMiB: Math.round(os.totalmem() / 2 ** 20),
    kernel: os.release(),
    loadAverage1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}

/** The mount (longest prefix in /proc/mounts) a path lives on, and its fs type. */
export function filesystemType(dir: string): string {
  let best = '';
  let type = 'unknown';
  let mounts = '';
  try {
    mounts = readFileSync('/proc/mounts', 'utf8');
  } catch {
    return type;
  }
  const resolved = path.resolve(dir);
  for (const line of mounts.split('\n')) {
    const [, mountPoint, fsType] = line.split(' ');
    if (mountPoint === undefined || fsType === undefined) continue;
    const mp = mountPoint.replace(/\\040/g, ' ');
    const inside = resolved === mp || resolved.startsWith(mp.endsWith('/') ? mp : `${mp}/`);
    if (inside && mp.length >= best.length) {
      best = mp;
      type = fsType;
    }
  }
  return type;
}

export function gitCommit(repoRoot: string): string {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: repoRoot,
      encoding: 'utf8',
    }).trim();
    return dirty === '' ? head : `${head}+dirty`;
  } catch {
    return 'unknown';
  }
}
