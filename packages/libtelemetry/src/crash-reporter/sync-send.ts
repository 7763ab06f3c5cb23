// Send one frame to telemd from code that cannot wait for the event loop: an
// uncaught-exception handler, after which Node exits at once. A worker thread
// does the socket work while the main thread blocks in Atomics.wait for its
// verdict, up to a deadline. The worker is created only at that moment, so a
// program that never crashes pays nothing. Its code is inline (eval) so no
// file path has to be found from a bundle. node:worker_threads is taken then
// too (process.getBuiltinModule, synchronous): importing it costs every
// program ~2 ms and ~3 MiB at start-up (bench h.crash-reporter).
import { ACK_GREETING } from '../wire/ack.ts';

// The verdict follows the acknowledgement protocol (wire/ack.ts, docs/intake.md): telemd greets
// with TELEMD/1 at accept and answers OK or NO <CODE> once the record is durable or refused; a
// daemon that writes nothing (C's telemprobd) and closes has taken the frame as before. A greeting
// without an answer, or a refusal, is not "sent": the caller keeps the report in crash_dir.
export type SyncSendResult = 'sent' | 'no-socket' | 'refused' | 'failed' | 'timeout' | 'declined';

const RESULTS: readonly SyncSendResult[] = ['timeout', 'sent', 'no-socket', 'refused', 'failed', 'declined'];

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const net = require('node:net');
const flag = new Int32Array(workerData.state);
const done = (v) => { if (Atomics.load(flag, 0) === 0) { Atomics.store(flag, 0, v); Atomics.notify(flag, 0); } };
const chunks = [];
let errorCode;
const socket = net.createConnection({ path: workerData.path });
socket.on('connect', () => socket.end(Buffer.from(workerData.frame)));
socket.on('data', (d) => chunks.push(d));
socket.on('error', (e) => { errorCode = e.code; });
socket.on('close', () => {
  const reply = Buffer.concat(chunks).toString('latin1');
  if (reply.startsWith(${JSON.stringify(ACK_GREETING)} + 'OK\\n')) return done(1);
  if (reply.startsWith(${JSON.stringify(ACK_GREETING)} + 'NO ')) return done(5);
  if (reply.length > 0) return done(4);
  if (errorCode === undefined) return done(1);
  done(errorCode === 'ENOENT' ? 2 : errorCode === 'ECONNREFUSED' ? 3 : 4);
});
`;

/** Blocks the calling thread for at most `timeoutMs` (plus the worker's start, a few ms). */
export function sendFrameSync(frame: Uint8Array, socketPath: string, timeoutMs: number): SyncSendResult {
  const state = new SharedArrayBuffer(4);
  const flag = new Int32Array(state);
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
  Atomics.wait(flag, 0, 0, timeoutMs);
  const result = RESULTS[Atomics.load(flag, 0)] ?? 'failed';
  void worker.terminate();
  return result;
}
