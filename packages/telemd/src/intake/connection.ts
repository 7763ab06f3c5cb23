// One probe connection: greet, feed bytes to the FrameDecoder until a frame
// is complete, the client closes, the byte cap is hit or the read deadline
// passes; the caller answers once the record's fate is known (wire/ack.ts,
// docs/intake.md), then the connection is closed. One record per connection
// as C (spec 2.1, 2.5), but frames split across writes are reassembled
// (BUG-2) and the deadline is per connection (C set it on the listening
// socket, BUG-3).
import type net from 'node:net';
import { type DecodedFrame, FrameDecoder } from '@telemetrics/libtelemetry/wire';
import { TelemdErrorCodes } from '../errors.ts';
import { markGone } from './reply.ts';

export type ConnectionResult =
  | { readonly ok: true; readonly frame: DecodedFrame; readonly bytes: number }
  | { readonly ok: false; readonly code: string; readonly detail: string; readonly bytes: number };

export interface ConnectionOptions {
  /** Whole-frame deadline from accept: a slow client cannot hold a slot longer. */
  readonly readTimeoutMs: number;
  /** Called once, with the first byte: the connection is no longer idle (slots.ts). */
  readonly onFirstByte?: () => void;
}

/** Errors that mean "the peer closed": a C probe that closes with our greeting unread resets. */
const PEER_CLOSED = new Set(['ECONNRESET', 'EPIPE']);

/**
 * Read one frame from `socket`, leaving it open for answer(). Never rejects: every outcome is
 * a ConnectionResult the caller logs and counts.
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
      // Anything after the frame stays in the kernel; answer() closes.
      socket.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      if (decoder.receivedBytes === 0) options.onFirstByte?.();
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
      if (error.code !== undefined && PEER_CLOSED.has(error.code)) {
        markGone(socket); // it will not read an answer
        complete();
        return;
      }
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
    // Ended, closed or reset while held during start-up, before these listeners existed: those
    // events are gone, so settle now instead of waiting for the read deadline (issue 14).
    if (socket.destroyed || socket.readableEnded) complete();
  });
}
