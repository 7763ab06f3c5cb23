// Exec-to-accepting-socket: poll connect() on a unix socket path until it accepts or a deadline
// passes. A tight loop on purpose: this is the measurement, not a test waiting for a condition.
import { existsSync } from 'node:fs';
import net from 'node:net';
import { setImmediate as tick } from 'node:timers/promises';

function tryConnect(socketPath: string): Promise<net.Socket | null> {
  return new Promise((resolve) => {
    const socket = net.createConnection(socketPath);
    const onError = (): void => {
      socket.destroy();
      resolve(null);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

export interface Accepted {
  /** process.hrtime.bigint() right after connect() succeeded. */
  readonly atNs: bigint;
  /** The connected socket; the caller writes a frame on it or ends it. */
  readonly socket: net.Socket;
}

/** Resolves when the path accepts a connection, or null when the deadline passes or alive() is false. */
export async function waitAccepting(
  socketPath: string,
  deadlineNs: bigint,
  alive: () => boolean = () => true,
): Promise<Accepted | null> {
  while (process.hrtime.bigint() < deadlineNs) {
    if (!alive()) return null;
    // stat first: a failed connect costs more than a missing path while the daemon starts
    if (existsSync(socketPath)) {
      const socket = await tryConnect(socketPath);
      if (socket !== null) return { atNs: process.hrtime.bigint(), socket };
    }
    await tick();
  }
  return null;
}

/**
 * Writes one frame and closes as a C probe does (write, then close: no waiting for the daemon).
 * Resolves once the bytes and the FIN are handed to the kernel.
 */
export function sendOn(socket: net.Socket, frame: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.end(frame, () => {
      socket.destroy();
      resolve();
    });
  });
}

/** Connects afresh, writes one frame and closes (a probe's whole life). */
export async function sendFrame(socketPath: string, frame: Uint8Array): Promise<void> {
  const socket = net.createConnection(socketPath);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  await sendOn(socket, frame);
}
