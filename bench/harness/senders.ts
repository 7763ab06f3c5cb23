// N sender processes (sender-child.ts) started and primed before the clock starts, so the sender
// is never the bottleneck measured inside the daemon's process.
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';

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

export class Senders {
  readonly #children: ChildProcess[];

  private constructor(children: ChildProcess[]) {
    this.#children = children;
  }

  /** Forks `senders` processes that together send `total` records to socketPath. */
  static async prepare(socketPath: string, senders: number, total: number, seed: number): Promise<Senders> {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const children: ChildProcess[] = [];
    for (let i = 0; i < senders; i++) {
      const count = Math.floor(total / senders) + (i < total % senders ? 1 : 0);
      const child = fork(new URL('./sender-child.ts', import.meta.url), [], {
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      children.push(child);
      child.send({ socketPath, count, seed: seed + i, nowSeconds });
    }
    await Promise.all(children.map((c) => once(c, 'message')));
    return new Senders(children);
  }

  async go(): Promise<SendResult> {
    const done = this.#children.map(async (c) => {
      const [message] = (await once(c, 'message')) as [DoneMessage];
      return message;
    });
    for (const c of this.#children) c.send({ go: true });
    const results = await Promise.all(done);
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
    for (const c of this.#children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
