// One probe connection: feed bytes to the FrameDecoder until a frame is
// complete, the client closes, the byte cap is hit or the read deadline
// passes, then close. One record per connection and no reply, as C (spec
// 2.1, 2.5), but frames split across writes are reassembled (BUG-2) and the
// deadline is per connection (C set it on the listening socket, BUG-3).
import type net from 'node:net';
import { type DecodedFrame, FrameDecoder } from '@telemetrics/libtelemetry/wire';
import { TelemdErrorCodes } from '../errors.ts';

export type ConnectionResult =
  | { readonly ok: true; readonly frame: DecodedFrame; readonly bytes: number }
  | { readonly ok: false; readonly code: string; readonly detail: string; readonly bytes: number };

export interface ConnectionOptions {
  /** Whole-frame deadline from accept: a slow client cannot hold a slot longer. */
  readonly readTimeoutMs: number;
}

/**
 * Read one frame from `socket` and close it. Never rejects: every outcome is a
 * ConnectionResult the caller logs and counts.
 */
export function readFrame(socket: net.Socket, options: ConnectionOptions): Promise<ConnectionResult> {
  return new Promise((resolve) => {
    const decoder = new FrameDecoder();
    let settled = false;
    const finish = (result: ConnectionResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeListener('data', onData);
      // We never reply (C probes do not read); destroy frees the fd at once.
      socket.destroy();
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      const progress = decoder.push(chunk);
      if (progress.state === 'more') return;
      if (progress.state === 'error') {
        finish({ ok: false, code: progress.code, detail: progress.detail, bytes: decoder.receivedBytes });
        return;
      }
      complete();
    };
    const complete = (): void => {
      const bytes = decoder.receivedBytes;
      if (bytes === 0) {
        finish({
          ok: false,
          code: TelemdErrorCodes.TELEMD_EMPTY_CONNECTION,
          detail: 'closed without data',
          bytes,
        });
        return;
      }
      const decoded = decoder.finish();
      finish(
        decoded.ok
          ? { ok: true, frame: decoded.value, bytes }
          : { ok: false, code: decoded.code, detail: decoded.detail, bytes },
      );
    };
    const timer = setTimeout(() => {
      finish({
        ok: false,
        code: TelemdErrorCodes.TELEMD_READ_TIMEOUT,
        detail: `no complete frame within ${options.readTimeoutMs} ms`,
        bytes: decoder.receivedBytes,
      });
    }, options.readTimeoutMs);
    socket.on('data', onData);
    socket.once('end', complete);
    socket.once('error', (error: NodeJS.ErrnoException) => {
      finish({
        ok: false,
        code: TelemdErrorCodes.TELEMD_CONNECTION_ERROR,
        detail: `${error.code ?? 'error'}: ${error.message}`,
        bytes: decoder.receivedBytes,
      });
    });
    socket.once('close', () => {
      if (!settled) complete();
    });
  });
}
