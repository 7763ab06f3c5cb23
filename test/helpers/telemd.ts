// telemd for tests, as `await using` resources:
//
//   await using d = await startTestDaemon({ server: collector.v2Url });   // in-process, production pipeline
//   await sendFrame(d.socketPath, readVector('socket/v2.4.3-hprobe.bin'));
//   const [record] = await d.nextAccepted(1);
//
//   await using p = await spawnTelemd({ server: collector.v2Url });       // built dist/telemd.mjs
//   await p.waitForLog(/telemd started/);
//
// Every instance gets a fresh temp dir holding its socket, machine id,
// spool and journal paths; the config is DEFAULT_CONFIG plus the overrides.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { formatConfigValue, type TelemetryConfig } from '@telemetrics/libtelemetry/config';
import { createMemoryLogger, type Logger } from '@telemetrics/libtelemetry/log';
import { type Daemon, type DaemonOptions, startDaemon } from '../../packages/telemd/src/daemon.ts';
import type { TelemRecord } from '../../packages/telemd/src/record.ts';
import { testConfig } from '../../packages/telemd/src/config.fixtures.ts';
import { childLog } from './child-log.ts';
import { pollFor, waitUntil } from './poll.ts';
import { binPath } from './run-bin.ts';

export const TELEMD_MAIN = binPath('packages/telemd/dist/telemd.mjs');

/** Port 1 on loopback: nothing listens there, so a delivery is refused at once. */
const REFUSED_SERVER = 'http://127.0.0.1:1/v2/collector';

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'telem-'));
}

export { testConfig };

/** INI text for a config, as the C parser reads it (`\` escaped, `\s` for a leading space). */
export function renderConfig(config: Partial<TelemetryConfig>): string {
  let out = '[settings]\n';
  for (const [key, value] of Object.entries(config)) {
    const text = formatConfigValue(value as TelemetryConfig[keyof TelemetryConfig]).replaceAll('\\', '\\\\');
    out += `${key}=${text}\n`;
  }
  return out;
}

export { waitUntil };

export interface TestDaemon extends AsyncDisposable {
  readonly daemon: Daemon;
  readonly dir: string;
  readonly socketPath: string;
  readonly logger: ReturnType<typeof createMemoryLogger>;
  readonly accepted: TelemRecord[];
  readonly rejected: { code: string; detail: string; bytes: number }[];
  nextAccepted(n: number, timeoutMs?: number): Promise<TelemRecord[]>;
  nextRejected(n: number, timeoutMs?: number): Promise<{ code: string; detail: string; bytes: number }[]>;
}

export async function startTestDaemon(
  overrides: Partial<TelemetryConfig> = {},
  options: Partial<Omit<DaemonOptions, 'config' | 'logger'>> & { logger?: Logger } = {},
): Promise<TestDaemon> {
  const dir = tempDir();
  const logger = createMemoryLogger();
  // The production pipeline (spool first, then delivery), as telemd runs it. A test that names
  // no server gets a refused loopback port, never the public default.
  const config = testConfig(dir, { server: REFUSED_SERVER, ...overrides });
  let daemon: Daemon;
  try {
    daemon = await startDaemon({
      // The vectors' capture machine had no DMI; tests fake the facts rather than read this host.
      readHostFacts: async () => ({ arch: 'x86_64', kernel_version: '6.1.0-test', cpu_model: 'Test CPU' }),
      ...options,
      config,
      logger: options.logger ?? logger,
    });
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const accepted: TelemRecord[] = [];
  const rejected: { code: string; detail: string; bytes: number }[] = [];
  daemon.on('accepted', (r) => accepted.push(r));
  daemon.on('rejected', (r) => rejected.push(r));
  return {
    daemon,
    dir,
    socketPath: config.socket_path,
    logger,
    accepted,
    rejected,
    async nextAccepted(n, timeoutMs) {
      await waitUntil(() => accepted.length >= n, `${n} accepted records`, timeoutMs);
      return accepted;
    },
    async nextRejected(n, timeoutMs) {
      await waitUntil(() => rejected.length >= n, `${n} rejected frames`, timeoutMs);
      return rejected;
    },
    async [Symbol.asyncDispose]() {
      await daemon.close(5000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Connect, write `chunks` (waiting `delayMs` between them), then close; as a C probe does. */
/**
 * A connection to `socketPath` made at the first instant it accepts: for the start-up gap
 * (telemd listening before it is ready). Polling the connect is the point: the next turn of
 * the event loop each time.
 */
export function connectOnceAccepting(socketPath: string, timeoutMs: number): Promise<net.Socket> {
  return pollFor(
    () =>
      new Promise<net.Socket | undefined>((resolve) => {
        const socket = net.createConnection({ path: socketPath });
        socket.once('connect', () => resolve(socket));
        socket.once('error', () => resolve(undefined));
      }),
    'telemd to accept a connection',
    { timeoutMs },
  );
}

export async function sendFrame(
  socketPath: string,
  data: Uint8Array | readonly Uint8Array[],
  options: { readonly delayMs?: number; readonly end?: boolean } = {},
): Promise<void> {
  const chunks = data instanceof Uint8Array ? [data] : data;
  const socket = net.connect(socketPath);
  socket.on('error', () => {}); // the daemon may close first (e.g. an oversize frame); like C's EPIPE
  // telemd's greeting and answer (wire/ack.ts) are read and ignored, as a C probe ignores them;
  // unread, they would hold off the 'close' awaited below.
  socket.resume();
  await once(socket, 'connect');
  for (let i = 0; i < chunks.length; i++) {
    if (i > 0 && options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    if (socket.destroyed) break;
    await new Promise<void>((resolve) => socket.write(chunks[i]!, () => resolve()));
  }
  if (options.end === false) return;
  socket.end();
  if (!socket.destroyed) await once(socket, 'close');
}

export interface SpawnedTelemd extends AsyncDisposable {
  readonly child: ChildProcess;
  readonly dir: string;
  readonly configFile: string;
  readonly socketPath: string;
  /** stderr so far. */
  readonly log: () => string;
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  rewriteConfig(overrides: Partial<TelemetryConfig>): void;
}

/**
 * Spawn the built daemon with a fresh config file. `wrap` runs it under
 * another program (e.g. systemd-socket-activate); `waitReady: false` skips
 * waiting for the start line (for tests of failing starts).
 */
export async function spawnTelemd(
  overrides: Partial<TelemetryConfig> = {},
  options: {
    readonly args?: readonly string[];
    readonly wrap?: readonly string[];
    readonly waitReady?: boolean;
  } = {},
): Promise<SpawnedTelemd> {
  const dir = tempDir();
  const configFile = path.join(dir, 'telemetrics.conf');
  let current = { ...testConfig(dir), ...overrides };
  fs.writeFileSync(configFile, renderConfig(current));
  const argv = [TELEMD_MAIN, '-f', configFile, ...(options.args ?? [])];
  const [cmd, ...args] = options.wrap
    ? [...options.wrap, process.execPath, ...argv]
    : [process.execPath, ...argv];
  const child = spawn(cmd!, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '' },
  });
  // Settles on 'close', not 'exit': only then is everything the process wrote on stderr read,
  // so a test that awaits `exited` and then looks at log() sees its last lines.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const stderr = childLog(child, 'telemd');
  child.stdout!.resume();
  const handle: SpawnedTelemd = {
    child,
    dir,
    configFile,
    socketPath: current.socket_path,
    log: stderr.text,
    waitForLog: stderr.waitForLine,
    exited,
    rewriteConfig(next) {
      current = { ...current, ...next };
      fs.writeFileSync(configFile, renderConfig(current));
    },
    async [Symbol.asyncDispose]() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  if (options.waitReady !== false) {
    try {
      await stderr.waitForLine(/telemd started/);
    } catch (error) {
      await handle[Symbol.asyncDispose]();
      throw error;
    }
  }
  return handle;
}
