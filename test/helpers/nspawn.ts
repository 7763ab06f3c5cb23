// A real systemd as PID 1 for e2e tests: a systemd-nspawn container booted
// from the bookworm root of scripts/make-nspawn-root.sh, with this checkout
// (read-only, at /opt/telemetrics) and its Node 24 (/usr/local/bin/node) bound
// in. Commands run inside with nsenter. One container per test file:
//
//   const why = nspawnMissing();                 // undefined when this machine can boot one
//   await using ct = await bootContainer();      // stops it and removes its cgroups
//   await ct.sh('systemctl start telemd.socket');
//
// Why these nspawn options (docs/systemd-tests.md has the long version):
// - SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1: without it the container's systemd
//   gets the legacy hierarchy and IPAddressDeny=/DeviceAllow= are silently
//   not enforced.
// - --register=no --keep-unit: there is no host systemd or dbus to ask.
// - --volatile=overlay: the root is shared by every container, and by every
//   clone on the machine: each boot writes to its own tmpfs only.
// - --system-call-filter=bpf: SystemCallFilter= needs bpf() in the container.
// - nspawn is started in a cgroup of its own, so that the `payload` and
//   `supervisor` cgroups it makes do not collide between parallel containers,
//   and so that stop() can kill what is left and remove them.
// The network is the host's: a collector on 127.0.0.1 is reachable, and
// every port must be a free one (port 0).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pollFor } from './poll.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
export const NSPAWN_ROOT = process.env['NSPAWN_ROOT'] ?? '/var/cache/telemetrics/nspawn-bookworm';
/** Where the checkout and its node appear inside. */
export const REPO_IN = '/opt/telemetrics';
export const NODE_IN = '/usr/local/bin/node';
const INSIDE_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C.UTF-8',
  SYSTEMD_PAGER: '',
  SYSTEMD_COLORS: '0',
};
const CGROUP2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers')
  ? '/sys/fs/cgroup'
  : '/sys/fs/cgroup/unified';
const CGROUP_NAMED = '/sys/fs/cgroup/systemd';

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Container extends AsyncDisposable {
  /** The container's PID 1 (systemd) as the host sees it. */
  readonly leader: number;
  /** Runs argv inside every namespace of the container, as root, with a clean environment. */
  run(
    argv: readonly string[],
    opts?: { readonly input?: string; readonly timeoutMs?: number },
  ): Promise<RunResult>;
  /** `sh -c script` inside; rejects unless it exits 0 (the error carries both outputs). */
  sh(script: string, opts?: { readonly timeoutMs?: number }): Promise<string>;
  /** A path inside the container, as the host reaches it (/proc/<leader>/root/...). */
  hostPath(inside: string): string;
  stop(): Promise<void>;
}

/** Why this machine cannot boot a test container, or undefined when it can. */
export function nspawnMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'systemd-nspawn needs root';
  for (const tool of ['systemd-nspawn', 'nsenter']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) {
      return `${tool} is not installed (Debian packages systemd-container, util-linux)`;
    }
  }
  if (!fs.existsSync(path.join(NSPAWN_ROOT, '.telemetrics-root'))) {
    return `no container root at ${NSPAWN_ROOT}: run "bash scripts/make-nspawn-root.sh" (as root, needs mmdebstrap)`;
  }
  if (!fs.existsSync(CGROUP2)) return `no cgroup2 hierarchy at ${CGROUP2}`;
  return undefined;
}

let serial = 0;

export async function bootContainer(opts: { readonly bootTimeoutMs?: number } = {}): Promise<Container> {
  const name = `telem-${process.pid}-${++serial}`;
  const cgroup = path.join(CGROUP2, `telem-nspawn-${name}`);
  fs.mkdirSync(cgroup);
  const args = [
    '-q',
    '-b',
    '-D',
    NSPAWN_ROOT,
    '-M',
    name,
    '--register=no',
    '--keep-unit',
    '--console=passive',
    '--volatile=overlay',
    '--system-call-filter=bpf',
    `--bind-ro=${REPO}:${REPO_IN}`,
    `--bind-ro=${fs.realpathSync(process.execPath)}:${NODE_IN}`,
  ];
  // sh joins the cgroup, then becomes nspawn (exec: same pid, no setsid).
  const nspawn = spawn(
    'sh',
    ['-c', 'echo $$ > "$0/cgroup.procs" && exec systemd-nspawn "$@"', cgroup, ...args],
    {
      env: { ...INSIDE_ENV, SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  nspawn.stdout.setEncoding('utf8').on('data', (d: string) => (log += d));
  nspawn.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    nspawn.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const pid = nspawn.pid;
  if (pid === undefined) throw new Error('systemd-nspawn did not start');

  const stop = async (): Promise<void> => {
    if (!exited) {
      nspawn.kill('SIGTERM'); // nspawn asks the container's systemd to halt
      await Promise.race([exit, delay(30_000)]);
    }
    killCgroup(cgroup);
    if (!exited) await Promise.race([exit, delay(10_000)]);
    await removeCgroups(cgroup, path.join(CGROUP_NAMED, path.basename(cgroup)));
  };

  try {
    const until = Date.now() + (opts.bootTimeoutMs ?? 120_000);
    const boot = { timeoutMs: until - Date.now(), intervalMs: 50 };
    const leader = await pollFor(
      () => (exited ? -1 : systemdChild(pid)),
      () => `container boot; nspawn said:\n${log}`,
      boot,
    );
    if (leader < 0) throw new Error(`systemd-nspawn exited while booting:\n${log}`);
    // systemctl needs the manager's private socket before it can even wait.
    await pollFor(
      () => fs.existsSync(`/proc/${leader}/root/run/systemd/private`) || undefined,
      () => `the manager's socket; nspawn said:\n${log}`,
      { timeoutMs: until - Date.now(), intervalMs: 50 },
    );
    const ct = makeContainer(leader, stop);
    const state = await ct.run(['systemctl', 'is-system-running', '--wait'], {
      timeoutMs: until - Date.now(),
    });
    const s = state.stdout.trim();
    if (s !== 'running' && s !== 'degraded')
      throw new Error(`container did not boot: ${s}\n${state.stderr}\n${log}`);
    return ct;
  } catch (err) {
    await stop();
    throw err;
  }
}

function makeContainer(leader: number, stop: () => Promise<void>): Container {
  let stopped: Promise<void> | undefined;
  const once = (): Promise<void> => {
    stopped ??= stop();
    return stopped;
  };
  const run: Container['run'] = (argv, opts = {}) => nsenter(leader, argv, opts);
  return {
    leader,
    run,
    async sh(script, opts = {}) {
      const r = await run(['sh', '-c', script], opts);
      if (r.code !== 0) {
        throw new Error(
          `in the container, exit ${r.code}: ${script}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
        );
      }
      return r.stdout;
    },
    hostPath: (inside) => path.join(`/proc/${leader}/root`, inside),
    stop: once,
    [Symbol.asyncDispose]: once,
  };
}

function nsenter(
  leader: number,
  argv: readonly string[],
  opts: { readonly input?: string; readonly timeoutMs?: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', ['-t', String(leader), '-a', '--', ...argv], {
      env: INSIDE_ENV,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
    child.once('error', reject);
    child.once('close', (code, signal) => {
      resolve({ code, stdout, stderr: signal ? `${stderr}(killed by ${signal})` : stderr });
    });
  });
}

/** nspawn reaps the container's init as a subreaper: PID 1 is a child of nspawn named systemd. */
function systemdChild(nspawnPid: number): number | undefined {
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${nspawnPid}/task`);
  } catch {
    return undefined;
  }
  for (const task of tasks) {
    let children = '';
    try {
      children = fs.readFileSync(`/proc/${nspawnPid}/task/${task}/children`, 'utf8');
    } catch {}
    for (const child of children.split(' ').filter(Boolean)) {
      try {
        if (fs.readFileSync(`/proc/${child}/comm`, 'utf8').trim() === 'systemd') return Number(child);
      } catch {}
    }
  }
  return undefined;
}

function killCgroup(cgroup: string): void {
  try {
    fs.writeFileSync(path.join(cgroup, 'cgroup.kill'), '1');
  } catch {}
}

/** Removes the cgroup trees nspawn leaves behind, deepest first, once no process is left in them. */
async function removeCgroups(...roots: string[]): Promise<void> {
  const until = Date.now() + 10_000;
  for (const root of roots) {
    if (!fs.existsSync(root)) continue;
    const dirs = listDirs(root).reverse();
    for (const dir of dirs) {
      for (;;) {
        try {
          fs.rmdirSync(dir);
          break;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') break;
          if (code !== 'EBUSY' || Date.now() > until) throw new Error(`cannot remove cgroup ${dir}: ${code}`);
          killCgroup(dir);
          await delay(50);
        }
      }
    }
  }
}

function listDirs(root: string): string[] {
  const out = [root];
  for (const e of fs.readdirSync(root, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...listDirs(path.join(root, e.name)));
  }
  return out;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Polls `check` (a command inside) until it exits 0, or rejects after timeoutMs with its
 * last output. For states that systemd reaches asynchronously (a unit going inactive).
 */
export async function waitInside(ct: Container, script: string, timeoutMs = 30_000): Promise<string> {
  let last = '';
  return pollFor(
    async () => {
      const r = await ct.run(['sh', '-c', script]);
      last = `${r.stdout}${r.stderr}`;
      return r.code === 0 ? r.stdout : undefined;
    },
    () => `: ${script}\n${last}`,
    { timeoutMs, intervalMs: 200 },
  );
}

/**
 * Installs the built checkout into the container as a distribution package would
 * (scripts/install.mjs --prefix /usr), creates the user and directories, reloads
 * systemd and writes /etc/telemetrics/telemetrics.conf from `settings`. It does
 * not opt in: tests do that with `telemctl opt-in`, as a user would.
 */
export async function installTelemetrics(
  ct: Container,
  settings: Record<string, string | number>,
): Promise<void> {
  await ct.sh(`${NODE_IN} ${REPO_IN}/scripts/install.mjs --prefix /usr --node ${NODE_IN}`, {
    timeoutMs: 120_000,
  });
  await ct.sh('systemd-sysusers && systemd-tmpfiles --create && systemctl daemon-reload');
  const conf = ['[settings]', ...Object.entries(settings).map(([k, v]) => `${k}=${v}`), ''].join('\n');
  fs.mkdirSync(ct.hostPath('/etc/telemetrics'), { recursive: true });
  fs.writeFileSync(ct.hostPath('/etc/telemetrics/telemetrics.conf'), conf);
}

/** `systemctl show -p NAME --value UNIT` inside. */
export async function unitProperty(ct: Container, unit: string, name: string): Promise<string> {
  return (await ct.sh(`systemctl show -p ${name} --value ${unit}`)).trim();
}
