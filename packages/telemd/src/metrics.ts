// Counters and the diagnostics_channel names telemd publishes on. Channels are
// free when nobody subscribes; tests subscribe to await "record handled".
import diagnostics_channel from 'node:diagnostics_channel';
import type { TelemRecord } from './record.ts';

export const Channels = {
  /** A frame passed intake validation and was handed to the pipeline: `{ record, peer }`. */
  accepted: 'telemd:record:accepted',
  /** A frame was refused at intake: `{ code, detail, bytes, peer }`. */
  rejected: 'telemd:record:rejected',
  /** The sink answered 200/201: `{ record, status }`. */
  delivered: 'telemd:record:delivered',
  /** Delivery failed (retryable or permanent) and was logged: `{ record, outcome }`. */
  failed: 'telemd:record:failed',
  /** Delivery is disabled (record_server_delivery_enabled=false): `{ record }`. */
  kept: 'telemd:record:kept',
  /** A connection was shed at accept because too many were open: `{ open }`. */
  shed: 'telemd:connection:shed',
} as const;

export type ChannelName = (typeof Channels)[keyof typeof Channels];

/** Node exposes no SO_PEERCRED, so a peer is known only by its connection number. */
export interface PeerInfo {
  readonly connection: number;
}

export interface AcceptedMessage {
  readonly record: TelemRecord;
  readonly peer: PeerInfo;
}
export interface RejectedMessage {
  readonly code: string;
  readonly detail: string;
  readonly bytes: number;
  readonly peer: PeerInfo;
}

export function publish(name: ChannelName, message: object): void {
  const channel = diagnostics_channel.channel(name);
  if (channel.hasSubscribers) channel.publish(message);
}

/** Monotonic counters; read by tests and logged at exit. */
export interface Counters {
  connections: number;
  shed: number;
  accepted: number;
  rejected: number;
  delivered: number;
  failed: number;
  kept: number;
  readonly rejectedByCode: Map<string, number>;
}

export function createCounters(): Counters {
  return {
    connections: 0,
    shed: 0,
    accepted: 0,
    rejected: 0,
    delivered: 0,
    failed: 0,
    kept: 0,
    rejectedByCode: new Map(),
  };
}
