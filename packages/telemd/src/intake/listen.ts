// The listening socket: either inherited from systemd socket activation (fd 3)
// or created at socket_path with mode 0666 like C (spec 2.1). A stale socket
// file is removed only after proving nobody listens on it; a regular file or a
// live daemon's socket is never touched.
// Synchronous file calls on purpose: a few, at start and stop, before anything else can run;
// fs/promises would cost its module load and thread-pool round trips before the socket listens.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from '@telemetrics/libtelemetry/log';
import { TelemdError, TelemdErrorCodes } from '../errors.ts';
import { openInheritedSocketToAll } from './socket-mode.ts';
import { greet } from './reply.ts';

/** First fd passed by systemd (SD_LISTEN_FDS_START). */
export const SD_LISTEN_FDS_START = 3;

/**
 * sd_listen_fds(): the inherited fd when LISTEN_PID is this process and
 * LISTEN_FDS >= 1, else undefined. Pure; main.ts passes process.env and unsets
 * the variables afterwards so children do not inherit them.
 */
export function socketActivationFd(
  env: Readonly<Record<string, string | undefined>>,
  pid: number,
): number | undefined {
  const listenPid = env.LISTEN_PID;
  const listenFds = env.LISTEN_FDS;
  if (listenPid === undefined || listenFds === undefined) return undefined;
  if (!/^\d+$/.test(listenPid) || Number(listenPid) !== pid) return undefined;
  if (!/^\d+$/.test(listenFds) || Number(listenFds) < 1) return undefined;
  return SD_LISTEN_FDS_START;
}

export interface BoundSocket {
  readonly kind: 'path' | 'activated';
  /** The path we created (and remove at close), or the configured one when activated. */
  readonly path: string;
  /** Remove the socket file we created, if it is still ours. Idempotent. */
  cleanup(): Promise<void>;
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined; // EACCES, ENOTDIR: as if absent
  }
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined; // EACCES, ENOTDIR: as if absent
  }
}

function unlinkQuietly(p: string): void {
  try {
    fs.unlinkSync(p);
  } catch {
    // already gone, or not ours to remove
  }
}

function probe(socketPath: string): Promise<'live' | 'stale' | 'unknown'> {
  return new Promise((resolve) => {
    const client = net.connect(socketPath);
    client.once('connect', () => {
      client.destroy();
      resolve('live');
    });
    client.once('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code === 'ECONNREFUSED' ? 'stale' : 'unknown');
    });
  });
}

function listenOn(server: net.Server, arg: string | { fd: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    const done = (): void => {
      server.off('error', onError);
      resolve();
    };
    if (typeof arg === 'string') server.listen({ path: arg, backlog: 511 }, done);
    else server.listen({ fd: arg.fd, backlog: 511 }, done);
  });
}

/**
 * Throws unless telemd may listen at `socketPath`: its directory exists, no
 * non-socket file is there, and no live daemon answers on it (a stale socket
 * file is removed). daemon.ts calls it before opening the spool, machine id
 * and status file, so a second daemon refuses before touching the first's.
 */
export async function checkSocketPath(socketPath: string, logger: Logger): Promise<void> {
  const dir = path.dirname(socketPath);
  const dirStat = statOrUndefined(dir);
  if (!dirStat?.isDirectory()) {
    throw new TelemdError(
      TelemdErrorCodes.TELEMD_SOCKET_DIR,
      `socket directory ${dir} does not exist (create it, or set socket_path)`,
    );
  }
  const existing = lstatOrUndefined(socketPath);
  if (existing) {
    if (!existing.isSocket()) {
      throw new TelemdError(
        TelemdErrorCodes.TELEMD_SOCKET_NOT_SOCKET,
        `${socketPath} exists and is not a socket; not removing it`,
      );
    }
    const state = await probe(socketPath);
    if (state === 'live') {
      throw new TelemdError(
        TelemdErrorCodes.TELEMD_SOCKET_IN_USE,
        `another process is listening on ${socketPath}`,
      );
    }
    if (state === 'stale') {
      unlinkQuietly(socketPath);
      logger.log('notice', 'removed a stale socket file', { path: socketPath });
    }
  }
}

export async function bindListener(
  server: net.Server,
  options: {
    readonly socketPath: string;
    readonly inheritedFd?: number | undefined;
    readonly logger: Logger;
  },
): Promise<BoundSocket> {
  const { socketPath, logger } = options;
  if (options.inheritedFd !== undefined) {
    try {
      await listenOn(server, { fd: options.inheritedFd });
    } catch (error) {
      throw new TelemdError(
        TelemdErrorCodes.TELEMD_SOCKET_LISTEN,
        `cannot listen on inherited fd ${options.inheritedFd}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    openInheritedSocketToAll(options.inheritedFd); // systemd-socket-activate's is 0644 (socket-mode.ts)
    logger.log('info', 'listening on the socket passed by systemd', { fd: options.inheritedFd });
    return { kind: 'activated', path: socketPath, cleanup: async () => {} };
  }
  await checkSocketPath(socketPath, logger);
  try {
    await listenOn(server, socketPath);
    // Any local user may submit records, as with C's chmod 0666 (spec 2.1).
    fs.chmodSync(socketPath, 0o666);
  } catch (error) {
    throw new TelemdError(
      TelemdErrorCodes.TELEMD_SOCKET_LISTEN,
      `cannot listen on ${socketPath}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const ours = fs.lstatSync(socketPath);
  let cleaned = false;
  logger.log('info', 'listening', { path: socketPath });
  return {
    kind: 'path',
    path: socketPath,
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      const now = lstatOrUndefined(socketPath);
      // Only our own inode: a newer daemon may already have replaced it.
      if (now?.isSocket() && now.ino === ours.ino && now.dev === ours.dev) unlinkQuietly(socketPath);
    },
  };
}

/** A bound socket whose connections are held until the daemon is ready to serve them. */
export interface Listener {
  readonly server: net.Server;
  readonly bound: BoundSocket;
  /** From now on hand connections to `onConnection`, first those accepted while starting. */
  serve(onConnection: (socket: net.Socket) => void): void;
  /**
   * For a start that failed before serve(): stop listening, close the held connections unread,
   * remove our socket file. Resolves to the number of connections closed.
   */
  abandon(): Promise<number>;
}

/**
 * Listens (bindListener) and holds the connections accepted before serve(). The socket accepts
 * as soon as it is bound, before the daemon's handlers exist (an activated socket may even have
 * clients queued): without holding them a probe connecting during start-up was never read.
 */
export async function openListener(options: {
  readonly socketPath: string;
  readonly inheritedFd?: number | undefined;
  readonly maxConnections: number;
  readonly logger: Logger;
}): Promise<Listener> {
  // allowHalfOpen: a probe on our SDK half-closes after its frame and waits for the answer;
  // Node would otherwise shut our side down at its EOF, before the record is durable. Every
  // connection is destroyed by the daemon once answered (or by abandon()).
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false });
  server.maxConnections = options.maxConnections;
  // At accept, before the first read, also while starting (wire/ack.ts): registered first, so
  // it runs before the connection is held or served.
  server.on('connection', greet);
  const held: net.Socket[] = [];
  const hold = (socket: net.Socket): void => {
    held.push(socket);
  };
  server.on('connection', hold);
  let bound: BoundSocket;
  try {
    bound = await bindListener(server, options);
  } catch (error) {
    server.close();
    for (const socket of held) socket.destroy();
    throw error;
  }
  return {
    server,
    bound,
    serve(onConnection) {
      server.off('connection', hold);
      server.on('connection', onConnection);
      for (const socket of held.splice(0)) onConnection(socket);
    },
    async abandon() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const dropped = held.length;
      for (const socket of held.splice(0)) socket.destroy();
      await closed;
      await bound.cleanup();
      return dropped;
    },
  };
}
