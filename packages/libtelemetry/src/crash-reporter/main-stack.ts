// The main thread's JavaScript stack, taken from a worker while the main
// thread is stuck (the hang watchdog). An inspector session connected to the
// main thread (inspector.Session#connectToMainThread) gets its messages in
// through a V8 interrupt, which a busy loop honours; Debugger.pause then
// reports the frames and Debugger.resume lets the program go on. What does not
// work, tried: the diagnostic report (process.report) describes the calling
// thread only, and report-on-signal runs as a JS listener on the stuck thread.
import { Session } from 'node:inspector';

interface CallFrame {
  readonly functionName: string;
  readonly location: {
    readonly scriptId: string;
    readonly lineNumber: number;
    readonly columnNumber?: number;
  };
  readonly url?: string;
}

/** `    at fn (url:line:col)` lines, as an Error's stack writes them. */
export function formatCallFrames(frames: readonly CallFrame[], urls: ReadonlyMap<string, string>): string {
  return frames
    .map((f) => {
      const url = f.url || urls.get(f.location.scriptId) || `<script ${f.location.scriptId}>`;
      const where = `${url}:${f.location.lineNumber + 1}:${(f.location.columnNumber ?? 0) + 1}`;
      return `    at ${f.functionName || '<anonymous>'} (${where})`;
    })
    .join('\n');
}

/** Resolves to the stack lines, or throws why it could not (no inspector, no answer in time). */
export function captureMainThreadStack(timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const session = new Session();
    const urls = new Map<string, string>();
    const finish = (error: Error | undefined, stack?: string): void => {
      clearTimeout(timer);
      try {
        session.post('Debugger.resume', () => session.disconnect());
      } catch {}
      if (error) reject(error);
      else resolve(stack ?? '');
    };
    const timer = setTimeout(
      () => finish(new Error(`the main thread did not pause within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      session.connectToMainThread();
    } catch (error) {
      clearTimeout(timer);
      reject(error as Error);
      return;
    }
    session.on('Debugger.scriptParsed', (m) => {
      if (m.params.url) urls.set(m.params.scriptId, m.params.url);
    });
    session.once('Debugger.paused', (m) => finish(undefined, formatCallFrames(m.params.callFrames, urls)));
    session.post('Debugger.enable', (error) => {
      if (error) finish(new Error(`Debugger.enable: ${error.message}`));
      else session.post('Debugger.pause');
    });
  });
}
