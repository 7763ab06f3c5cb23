// What telemd writes back on a probe connection (wire/ack.ts, docs/intake.md):
// the greeting at accept, the answer once the record's fate is known.
//
// C probes write and close without reading. Writing to one that has gone
// fails with EPIPE, and a failed net.Socket write destroys the socket, with
// the probe's frame still unread in the kernel: so telemd never writes
// through the stream. It writes the few reply bytes with one write(2) on the
// descriptor and ignores its failure (EPIPE: the probe is gone, it does not
// read; EAGAIN cannot happen for a few bytes on a fresh socket, and would
// only cost the probe its answer). The read side is never touched.
import fs from 'node:fs';
import type net from 'node:net';
import { type AckAnswer, encodeAnswer, encodeGreeting } from '@telemetrics/libtelemetry/wire';

// Peers a write found gone: their answer is not written (a C probe does not read it).
const gone = new WeakSet<net.Socket>();

function writeQuietly(socket: net.Socket, bytes: Uint8Array): void {
  const fd = (socket as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0 || gone.has(socket)) return;
  // A C probe that closed first makes every write throw EPIPE, and the stack of each Error was
  // 7 % of telemd's CPU in a C-sender burst: nobody sees these errors, so they get no stack.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    fs.writeSync(fd, bytes);
  } catch {
    // EPIPE/ECONNRESET: the probe closed (C probes never read); nothing to tell it.
    gone.add(socket);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** The probe is known to have closed (its read ended in a reset): do not answer it. */
export function markGone(socket: net.Socket): void {
  gone.add(socket);
}

/**
 * Say, at accept and before anything is read, that this daemon acknowledges. Without it a
 * probe could not tell "telemd read the frame and died" from the C daemon's plain close.
 */
export function greet(socket: net.Socket): void {
  writeQuietly(socket, encodeGreeting());
}

/** Tell the probe what became of its record, and close. */
export function answer(socket: net.Socket, reply: AckAnswer): void {
  writeQuietly(socket, encodeAnswer(reply));
  socket.destroy();
}
