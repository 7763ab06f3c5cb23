// N sender processes started and primed before the clock starts, so the sender is never the
// bottleneck measured inside the daemon's process. The C sender (sender.c) is used when it could be
// built: Node senders (sender-child.ts) top out near 6k connections/s on 2 cores.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { benchFrame, seededRandom } from './records.ts';

export interface SendResult {
  readonly sent: number;
  readonly failed: number;
  readonly retries: number;
  readonly errors: Readonly<Record<string, number>>;
  /** hrtime of the earliest start and the latest finish over all senders. */
  readonly startNs: bigint;
  readonly endNs: bigint;
}

interface DoneMessage {
  readonly sent: number;
  readonly failed: number;
  readonly retries: number;
  readonly errors: Record<string, number>;
  readonly startNs: string;
  readonly endNs: string;
}

/** Smallest (sign -1) or largest (sign 1) of non-empty bigints; Math.min/max do not take bigint. */
function extreme(values: readonly bigint[], sign: -1 | 1): bigint {
  let best = values[0] ?? 0n;
  for (const v of values) if ((sign < 0 && v < best) || (sign > 0 && v > best)) best = v;
  return best;
}

interface SenderProcess {
  readonly child: ChildProcess;
  go(): Promise<DoneMessage>;
}

function shareOf(total: number, senders: number, i: number): number {
  return Math.floor(total / senders) + (i < total % senders ? 1 : 0);
}

async function nodeSender(
  socketPath: string,
  count: number,
  seed: number,
  nowSeconds: number,
): Promise<SenderProcess> {
  const child = fork(new URL('./sender-child.ts', import.meta.url), [], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  child.send({ socketPath, count, seed, nowSeconds });
  await once(child, 'message');
  return {
    child,
    async go() {
      const done = once(child, 'message');
      child.send({ go: true });
      const [message] = (await done) as [DoneMessage];
      return message;
    },
  };
}

async function cSender(exe: string, socketPath: string, framesFile: string): Promise<SenderProcess> {
  const child = spawn(exe, [socketPath, framesFile], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const iterator = lines[Symbol.asyncIterator]();
  const ready = await iterator.next();
  if (ready.done === true || ready.value !== 'ready')
    throw new Error(`C sender did not start: ${ready.value}`);
  return {
    child,
    async go() {
      child.stdin.end('g');
      const done = await iterator.next();
      const parts = (done.value ?? '').split(' ');
      if (parts[0] !== 'done') throw new Error(`C sender failed: ${done.value}`);
      const [, sent, failed, retries, startNs, endNs] = parts;
      return {
        sent: Number(sent),
        failed: Number(failed),
        retries: Number(retries),
        errors: {},
        startNs: startNs ?? '0',
        endNs: endNs ?? '0',
      };
    },
  };
}

export interface SenderOptions {
  readonly socketPath: string;
  readonly senders: number;
  readonly total: number;
  readonly seed: number;
  /** Built sender.c, or null to send from node. */
  readonly cSenderExe: string | null;
  /** Where the C senders' frame files go. */
  readonly workDir: string;
}

export class Senders {
  readonly #processes: SenderProcess[];

  private constructor(processes: SenderProcess[]) {
    this.#processes = processes;
  }

  static async prepare(options: SenderOptions): Promise<Senders> {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const processes: SenderProcess[] = [];
    try {
      for (let i = 0; i < options.senders; i++) {
        const count = shareOf(options.total, options.senders, i);
        const seed = options.seed + i;
        if (options.cSenderExe === null) {
          processes.push(await nodeSender(options.socketPath, count, seed, nowSeconds));
          continue;
        }
        const random = seededRandom(seed);
        const file = path.join(options.workDir, `frames.${process.pid}.${seed}.${i}`);
        writeFileSync(
          file,
          Buffer.concat(Array.from({ length: count }, (_, j) => benchFrame(j, nowSeconds, random))),
        );
        processes.push(await cSender(options.cSenderExe, options.socketPath, file));
      }
    } catch (err) {
      for (const p of processes) p.child.kill('SIGKILL');
      throw err;
    }
    return new Senders(processes);
  }

  async go(): Promise<SendResult> {
    const results = await Promise.all(this.#processes.map((p) => p.go()));
    const errors: Record<string, number> = {};
    for (const r of results) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
    return {
      sent: results.reduce((a, r) => a + r.sent, 0),
      failed: results.reduce((a, r) => a + r.failed, 0),
      retries: results.reduce((a, r) => a + r.retries, 0),
      errors,
      startNs: extreme(
        results.map((r) => BigInt(r.startNs)),
        -1,
      ),
      endNs: extreme(
        results.map((r) => BigInt(r.endNs)),
        1,
      ),
    };
  }

  close(): void {
    for (const { child } of this.#processes)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
