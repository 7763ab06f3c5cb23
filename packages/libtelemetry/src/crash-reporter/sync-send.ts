// Send one frame to telemd from code that cannot wait for the event loop: an
// uncaught-exception handler, after which Node exits at once. A worker thread
// does the socket work while the main thread blocks in Atomics.wait for its
// verdict, up to a deadline. The worker is created only at that moment, so a
// program that never crashes pays nothing. Its code is inline (eval) so no
// file path has to be found from a bundle. node:worker_threads is taken then
// too (process.getBuiltinModule, synchronous): importing it costs every
// program ~2 ms and ~3 MiB at start-up (bench h.crash-reporter).
import { MAX_REPLY_BYTES, parseReply } from '../wire/ack.ts';

// The verdict follows the acknowledgement protocol (wire/ack.ts, docs/intake.md), read by the
// same parseReply as the SDK's send: OK, or nothing at all from a daemon that does not
// acknowledge (C's telemprobd), is "sent"; a NO is "declined"; a greeting without an answer is
// "failed". Anything but "sent" makes the caller keep the report in crash_dir. The worker only
// carries bytes: what the daemon wrote (up to MAX_REPLY_BYTES) and the socket's error.
export type SyncSendResult = 'sent' | 'no-socket' | 'refused' | 'failed' | 'timeout' | 'declined';

// Shared state: [0] 0 while running, 1 once closed; [1] socket error (0 none, 2 ENOENT,
// 3 ECONNREFUSED, 4 other); [2] reply length; then the reply bytes.
const HEADER_BYTES = 12;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const net = require('node:net');
const words = new Int32Array(workerData.state, 0, 3);
const reply = new Uint8Array(workerData.state, ${HEADER_BYTES});
let length = 0;
const socket = net.createConnection({ path: workerData.path });
socket.on('connect', () => socket.end(Buffer.from(workerData.frame)));
socket.on('data', (d) => {
  const n = Math.min(d.length, reply.length - length);
  reply.set(d.subarray(0, n), length);
  length += n;
});
socket.on('error', (e) => {
  Atomics.store(words, 1, e.code === 'ENOENT' ? 2 : e.code === 'ECONNREFUSED' ? 3 : 4);
});
socket.on('close', () => {
  Atomics.store(words, 2, length);
  Atomics.store(words, 0, 1);
  Atomics.notify(words, 0);
});
`;

const SOCKET_ERRORS: Readonly<Record<number, SyncSendResult>> = { 2: 'no-socket', 3: 'refused', 4: 'failed' };

/** The verdict on what the worker saw: the reply first, the socket's error only without one. */
export function verdict(reply: Uint8Array, socketError: number): SyncSendResult {
  const parsed = parseReply(reply);
  if (parsed.kind === 'answered') return parsed.answer.ok ? 'sent' : 'declined';
  if (parsed.kind !== 'silent') return 'failed';
  return socketError === 0 ? 'sent' : (SOCKET_ERRORS[socketError] ?? 'failed');
}

/** Blocks the calling thread for at most `timeoutMs` (plus the worker's start, a few ms). */
export function sendFrameSync(frame: Uint8Array, socketPath: string, timeoutMs: number): SyncSendResult {
  const state = new SharedArrayBuffer(HEADER_BYTES + MAX_REPLY_BYTES);
  const words = new Int32Array(state, 0, 3);
  let worker: import('node:worker_threads').Worker;
  try {
    const { Worker } = process.getBuiltinModule('node:worker_threads');
    // execArgv: [] so the program's own --require/--import hooks do not run again in the worker.
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { frame, path: socketPath, state },
      stdout: true,
      stderr: true,
    });
  } catch {
    return 'failed';
  }
  worker.unref();
  Atomics.wait(words, 0, 0, timeoutMs);
  const closed = Atomics.load(words, 0) === 1;
  const result = closed
    ? verdict(new Uint8Array(state, HEADER_BYTES, Atomics.load(words, 2)).slice(), Atomics.load(words, 1))
    : 'timeout';
  void worker.terminate();
  return result;
}
