// Parent side of the HTTP sink (sink-child.ts): a collector on 127.0.0.1 that answers 201.
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';

export interface SinkState {
  readonly reached: boolean;
  readonly count: number;
  readonly bytes: number;
  /** hrtime (CLOCK_MONOTONIC, comparable across processes) of the first and last record. */
  readonly firstNs: bigint | null;
  readonly lastNs: bigint | null;
}

interface Reply {
  readonly id: number;
  readonly reached: boolean;
  readonly count: number;
  readonly bytes: number;
  readonly firstNs: string | null;
  readonly lastNs: string | null;
}

export class Sink {
  readonly url: string;
  readonly #child: ChildProcess;
  #nextId = 0;
  #closed = false;

  private constructor(child: ChildProcess, port: number) {
    this.#child = child;
    this.url = `http://127.0.0.1:${port}/v2/collector`;
  }

  static async start(): Promise<Sink> {
    const child = fork(new URL('./sink-child.ts', import.meta.url), [], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const [message] = (await once(child, 'message')) as [{ port: number }];
    return new Sink(child, message.port);
  }

  #ask(command: Record<string, unknown>): Promise<SinkState> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const onMessage = (reply: Reply): void => {
        if (reply.id !== id) return;
        this.#child.off('message', onMessage);
        this.#child.off('exit', onExit);
        resolve({
          reached: reply.reached,
          count: reply.count,
          bytes: reply.bytes,
          firstNs: reply.firstNs === null ? null : BigInt(reply.firstNs),
          lastNs: reply.lastNs === null ? null : BigInt(reply.lastNs),
        });
      };
      const onExit = (): void => reject(new Error('sink process exited'));
      this.#child.on('message', onMessage);
      this.#child.once('exit', onExit);
      this.#child.send({ ...command, id });
    });
  }

  /** Zero the counts; `batch` makes the sink advertise and serve the batch endpoint until the next reset. */
  reset(batch?: { readonly maxRecords: number; readonly maxBytes: number }): Promise<SinkState> {
    return this.#ask(batch === undefined ? { cmd: 'reset' } : { cmd: 'reset', batch });
  }

  /** Resolves when `count` records have arrived since the last reset, or at the timeout. */
  awaitCount(count: number, timeoutMs: number): Promise<SinkState> {
    return this.#ask({ cmd: 'await', count, timeoutMs });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#child.exitCode !== null) return;
    const exited = once(this.#child, 'exit');
    this.#child.send({ cmd: 'close' });
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
