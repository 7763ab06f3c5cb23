// A telemd under test: temp config, spawn (direct or under systemd-socket-activate), readiness,
// memory, stop. Also the "is this tool still a stub" check every case runs first.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type MemoryBreakdown, readMemory, readMemoryBreakdown, type MemoryStatus } from './proc-status.ts';
import { type Accepted, waitAccepting } from './socket-wait.ts';
import { benchConfigText } from './telemd-config.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const TOOLS = {
  telemd: path.join(REPO_ROOT, 'packages/telemd/dist/telemd.mjs'),
  hprobe: path.join(REPO_ROOT, 'packages/hprobe/dist/hprobe.mjs'),
  reference: fileURLToPath(new URL('./reference-daemon.ts', import.meta.url)),
  crashprobe: path.join(REPO_ROOT, 'packages/crashprobe/dist/crashprobe.mjs'),
} as const;

/** The node flags telemd is installed with (packages/telemd/package.json "telemetrics.nodeFlags"). */
export const TELEMD_NODE_FLAGS: readonly string[] =
  (
    JSON.parse(readFileSync(path.join(REPO_ROOT, 'packages/telemd/package.json'), 'utf8')) as {
      telemetrics?: { nodeFlags?: string[] };
    }
  ).telemetrics?.nodeFlags ?? [];

/** null when the tool looks real, else why the cases that need it are skipped. */
export function toolUnavailable(mainJs: string): string | null {
  if (!existsSync(mainJs)) return `${path.relative(REPO_ROOT, mainJs)} is missing (run npm run build)`;
  const probe = spawnSync(process.execPath, [mainJs, '--version'], { encoding: 'utf8', timeout: 10_000 });
  const stderr = `${probe.stderr ?? ''}`;
  if (/not yet implemented/i.test(stderr)) {
    return `${path.basename(path.dirname(path.dirname(mainJs)))} is still a stub (${stderr.trim()})`;
  }
  return null;
}

export function hasSocketActivate(): boolean {
  return spawnSync('systemd-socket-activate', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface TelemdOptions {
  /** The daemon's entry point: telemd's dist/telemd.mjs (the bundle), or the reference daemon. */
  readonly main: string;
  /** Extra node options for the daemon, e.g. --cpu-prof. */
  readonly nodeArgs?: readonly string[];
  /** A fresh directory owned by this run; config, socket, spool and state go inside. */
  readonly root: string;
  readonly server: string;
  readonly activation?: 'direct' | 'socket-activate';
  readonly extra?: Readonly<Record<string, string>>;
  /** V8 compile cache directory (NODE_COMPILE_CACHE), as telemd.service sets one. */
  readonly compileCache?: string;
}

/** The daemon of this bench run (`--daemon`), started with the node flags it is installed with. */
export function startDaemonUnderTest(
  env: { readonly daemonMain: string; readonly daemonNodeArgs: readonly string[] },
  options: Omit<TelemdOptions, 'main' | 'nodeArgs'>,
): Telemd {
  return Telemd.start({ main: env.daemonMain, nodeArgs: env.daemonNodeArgs, ...options });
}

export function countSpooled(spoolDir: string): number {
  let n = 0;
  for (const entry of readdirSync(spoolDir, { withFileTypes: true })) {
    if (entry.isFile() && !entry.name.startsWith('.')) n++;
  }
  return n;
}

// Every daemon still running, so a case that times out cannot leave one behind (killAll).
const live = new Set<ChildProcess>();

export function killAllDaemons(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

export class Telemd {
  readonly socketPath: string;
  readonly spoolDir: string;
  readonly configPath: string;
  readonly #child: ChildProcess;
  readonly spawnedAtNs: bigint;
  #stderr = '';
  #exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  private constructor(
    child: ChildProcess,
    spawnedAtNs: bigint,
    paths: { socket: string; spool: string; config: string },
  ) {
    this.#child = child;
    this.spawnedAtNs = spawnedAtNs;
    this.socketPath = paths.socket;
    this.spoolDir = paths.spool;
    this.configPath = paths.config;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-16_384);
    });
    live.add(child);
    child.once('exit', (code, signal) => {
      live.delete(child);
      this.#exit = { code, signal };
    });
  }

  /** Writes the config and state layout under root without starting anything. */
  static layout(options: Omit<TelemdOptions, 'main'>): { socket: string; spool: string; config: string } {
    const socket = path.join(options.root, 'telem.sock');
    const spool = path.join(options.root, 'spool');
    const config = path.join(options.root, 'telemetrics.conf');
    mkdirSync(spool, { recursive: true, mode: 0o750 });
    writeFileSync(path.join(options.root, 'opt-in'), '');
    const extra = options.extra ?? {};
    writeFileSync(
      config,
      benchConfigText({
        root: options.root,
        server: options.server,
        socketPath: socket,
        spoolDir: spool,
        extra,
      }),
    );
    return { socket, spool, config };
  }

  static start(options: TelemdOptions): Telemd {
    const paths = Telemd.layout(options);
    const daemonArgv = [process.execPath, ...(options.nodeArgs ?? []), options.main, '-f', paths.config];
    const [command, args] =
      options.activation === 'socket-activate'
        ? ['systemd-socket-activate', ['-l', paths.socket, ...daemonArgv]]
        : [process.execPath, daemonArgv.slice(1)];
    const spawnedAtNs = process.hrtime.bigint();
    const env =
      options.compileCache === undefined
        ? process.env
        : { ...process.env, NODE_COMPILE_CACHE: options.compileCache };
    const child = spawn(command as string, args as string[], { stdio: ['ignore', 'ignore', 'pipe'], env });
    return new Telemd(child, spawnedAtNs, paths);
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get alive(): boolean {
    return this.#exit === null;
  }

  /** Last lines of stderr, for skip reasons and failure notes. */
  stderrTail(lines = 3): string {
    return this.#stderr.trim().split('\n').slice(-lines).join(' | ');
  }

  exitDescription(): string {
    if (this.#exit === null) return `telemd running, stderr: ${this.stderrTail()}`;
    const how = this.#exit.signal ?? `exit ${this.#exit.code}`;
    return `telemd ended (${how}): ${this.stderrTail()}`;
  }

  waitAccepting(timeoutMs: number): Promise<Accepted | null> {
    const deadline = process.hrtime.bigint() + BigInt(Math.round(timeoutMs * 1e6));
    return waitAccepting(this.socketPath, deadline, () => this.alive);
  }

  memory(): MemoryStatus | null {
    return readMemory(this.pid);
  }

  memoryBreakdown(): MemoryBreakdown | null {
    return readMemoryBreakdown(this.pid);
  }

  /** SIGTERM, then SIGKILL after graceMs. Idempotent. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.#exit !== null || this.#child.exitCode !== null) return;
    const exited = once(this.#child, 'exit');
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** hrtime difference in milliseconds. */
export function msBetween(fromNs: bigint, toNs: bigint): number {
  return Number(toNs - fromNs) / 1e6;
}
