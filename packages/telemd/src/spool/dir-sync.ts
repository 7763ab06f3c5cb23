// Directory fsync grouping: while one fsync runs, every later request waits
// for ONE following fsync, which covers all links made until it starts. So a
// burst of N renames costs two directory fsyncs, not N.
import { fsyncDir } from '@telemetrics/libtelemetry/internal/fs-async';

export interface DirSync {
  /** Resolves once a directory fsync that started after this call has completed. */
  sync(): Promise<void>;
  /** Directory fsyncs done (tests check that they are grouped). */
  readonly count: number;
  /** Wait for the fsyncs asked for so far (at close); their errors went to their callers. */
  settled(): Promise<void>;
}

export function createDirSync(dir: string): DirSync {
  let count = 0;
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  function start(): Promise<void> {
    const p = (async () => {
      await fsyncDir(dir);
      count++;
    })();
    running = p.finally(() => {
      running = undefined;
    });
    return running;
  }
  return {
    sync() {
      if (queued) return queued;
      if (running) {
        queued = running
          .catch(() => {})
          .then(() => {
            queued = undefined;
            return start();
          });
        return queued;
      }
      return start();
    },
    get count() {
      return count;
    },
    async settled() {
      await (queued ?? running)?.catch(() => {});
    },
  };
}
