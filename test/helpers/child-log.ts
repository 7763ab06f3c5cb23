// A child process's stderr, buffered, with a wait for a line of it: what the e2e helpers that
// spawn a daemon (telemd.ts, collector-process.ts) use to see its log.
//
//   const log = childLog(child, 'telemd');   // before anything else listens on child.stderr
//   await log.waitForLine(/^<5>listening /); log.text();
import type { ChildProcess } from 'node:child_process';

export interface ChildLog {
  /** stderr so far. */
  text(): string;
  /**
   * The first complete line (a partial one may still be arriving) that matches, once it has
   * been written; rejects when the child closes without writing it, or after timeoutMs.
   */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/** Starts buffering `child`'s stderr (piped); `name` says who in the errors. */
export function childLog(child: ChildProcess, name: string): ChildLog {
  let stderr = '';
  let closed = false;
  child.once('close', () => {
    closed = true;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const findLine = (pattern: RegExp): string | undefined =>
    stderr
      .slice(0, stderr.lastIndexOf('\n') + 1)
      .split('\n')
      .find((l) => pattern.test(l));
  // Event-driven: re-checked on every stderr chunk; a deadline, no polling interval. A test that
  // asserts on a line must wait for that line: each log line is its own write, and under load
  // the daemon can be descheduled between two of them.
  // A deadline, not a timing: generous, because a loaded 2-core CI box can take seconds to start node.
  const waitForLine = (pattern: RegExp, timeoutMs = 30_000): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const check = (): void => {
        const line = findLine(pattern);
        if (line !== undefined) finish(() => resolve(line));
        else if (closed)
          finish(() => reject(new Error(`${name} exited before logging ${pattern}:\n${stderr}`)));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`timed out waiting for ${pattern}:\n${stderr}`))),
        timeoutMs,
      );
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        child.off('close', check);
        settle();
      };
      // Listeners added after the buffering one above: by the time they run, `stderr` has the chunk;
      // and after the one that sets `closed`, so a close is seen as one.
      const onData = (): void => check();
      child.stderr!.on('data', onData);
      child.on('close', check);
      check();
    });
  return { text: () => stderr, waitForLine };
}
