// The first records a daemon accepts right after its socket appears can be lost (a connection
// accepted before the daemon handles connections is never read). Throughput cases are about the
// steady state, so they warm up until one record has gone all the way through; case (e) is the
// one that measures the very first connection and reports a loss.
import { benchFrame, seededRandom } from './records.ts';
import { sendFrame } from './socket-wait.ts';

export interface WarmUp {
  /** Records sent before one arrived (1 when the first did). */
  readonly sent: number;
}

/** Sends a record on a new connection until arrived() says one went through, up to `tries`. */
export async function warmUp(
  socketPath: string,
  arrived: (timeoutMs: number) => Promise<boolean>,
  options: { readonly tries: number; readonly waitMs: number },
): Promise<WarmUp | null> {
  const random = seededRandom(5);
  for (let sent = 1; sent <= options.tries; sent++) {
    await sendFrame(socketPath, benchFrame(sent, Math.floor(Date.now() / 1000), random));
    if (await arrived(options.waitMs)) return { sent };
  }
  return null;
}
