// One sender process (forked by senders.ts): like a C probe, one connection per record, write the
// frame, close. Frames are encoded before 'go' so only the socket work is timed.
import net from 'node:net';
import { setImmediate as tick } from 'node:timers/promises';
import { benchFrame, seededRandom } from './records.ts';

interface Job {
  readonly socketPath: string;
  readonly count: number;
  readonly seed: number;
  readonly nowSeconds: number;
}

function sendOne(socketPath: string, frame: Buffer): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.createConnection(socketPath);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.destroy();
      resolve(err.code ?? 'error');
    });
    // write then close, as a C probe: never wait for the daemon to close its side
    socket.once('connect', () =>
      socket.end(frame, () => {
        socket.destroy();
        resolve(null);
      }),
    );
  });
}

// A full listen backlog answers EAGAIN to a non-blocking unix connect; a probe would give up, the
// bench retries (counted) so every run sends the same number of records.
const RETRYABLE = new Set(['EAGAIN', 'ECONNREFUSED', 'ENOENT']);
const MAX_TRIES = 1000;

async function run(job: Job): Promise<void> {
  const random = seededRandom(job.seed);
  const frames = Array.from({ length: job.count }, (_, i) => benchFrame(i, job.nowSeconds, random));
  process.send?.({ ready: true });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const startNs = process.hrtime.bigint();
  let retries = 0;
  let failed = 0;
  const errors: Record<string, number> = {};
  for (const frame of frames) {
    for (let tries = 0; ; tries++) {
      const code = await sendOne(job.socketPath, frame);
      if (code === null) break;
      errors[code] = (errors[code] ?? 0) + 1;
      if (!RETRYABLE.has(code) || tries >= MAX_TRIES) {
        failed++;
        break;
      }
      retries++;
      await tick();
    }
  }
  const endNs = process.hrtime.bigint();
  process.send?.({
    done: true,
    sent: job.count - failed,
    failed,
    retries,
    errors,
    startNs: startNs.toString(),
    endNs: endNs.toString(),
  });
  process.disconnect();
}

process.once('disconnect', () => process.exit(0));

process.once('message', (job: Job) => {
  void run(job);
});
