// The door every frame goes through, from the socket or the crash directory:
// read (connection.ts), check and enrich (validate.ts), hand to the stage's
// pipeline, and tell the probe its fate (reply.ts) only once the pipeline has
// answered. Rejections and sheds are counted, published and logged within a
// budget (a client can trigger them at will).
import type net from 'node:net';
import type { Logger } from '@telemetrics/libtelemetry/log';
import type { DecodedFrame } from '@telemetrics/libtelemetry/wire';
import type { HostFacts } from '../enrich/host-facts.ts';
import type { MachineIdSource } from '../enrich/machine-id.ts';
import { createLogBudget } from '../observe/log-budget.ts';
import { Channels, type Counters, type PeerInfo, publish } from '../observe/metrics.ts';
import type { Pipeline, Refusal } from '../pipeline/pipeline.ts';
import type { TelemRecord } from '../record.ts';
import { readFrame } from './connection.ts';
import { answer } from './reply.ts';
import type { ConnectionSlots } from './slots.ts';
import { validateFrame } from './validate.ts';

/** What the door reads of the current stage (stage.ts), at the moment it needs it. */
export interface DoorStage {
  readonly config: { readonly intake_read_timeout_ms: number; readonly intake_max_connections: number };
  readonly machineId: Pick<MachineIdSource, 'current'>;
  readonly hostFacts: HostFacts;
  readonly pipeline: Pick<Pipeline, 'accept'>;
}

export interface DoorOptions {
  readonly logger: Logger;
  readonly counters: Counters;
  readonly slots: ConnectionSlots<net.Socket>;
  /** The stage now: a reload may replace it between two calls. */
  readonly stage: () => DoorStage;
  readonly onAccepted: (record: TelemRecord) => void;
  readonly onRejected: (event: { code: string; detail: string; bytes: number }) => void;
}

export interface Door {
  /** Read one frame from `socket`, keep it or not, and answer the probe. */
  handle(socket: net.Socket, peer: PeerInfo): Promise<void>;
  /** Validate, enrich and hand to the pipeline; undefined once kept, else why not. */
  admit(frame: DecodedFrame, peer: PeerInfo, bytes: number): Promise<Refusal | undefined>;
  /** Close `socket` to make room at the connection cap, telling the probe why. */
  shed(socket: net.Socket, which: 'idle' | 'new'): void;
  /** Log what the log budgets still count (at close). */
  flushLogs(): void;
}

const SHED: Refusal = { code: 'TELEM_SHED', detail: 'too many open connections' };

export function createDoor(options: DoorOptions): Door {
  const { logger, counters, slots } = options;
  const wasShed = new WeakSet<net.Socket>();
  // Client-triggered warnings are logged at most once a second, the rest counted (observe/log-budget.ts).
  const shedLog = createLogBudget({
    logger,
    level: 'warning',
    message: 'too many open connections; closed idle ones (or the new one)',
    intervalMs: 1000,
    countField: 'shed',
  });
  const rejectLog = createLogBudget({
    logger,
    level: 'warning',
    message: 'frame rejected',
    intervalMs: 1000,
    countField: 'rejected',
  });

  function shed(socket: net.Socket, which: 'idle' | 'new'): void {
    if (which === 'idle') wasShed.add(socket);
    counters.shed++;
    publish(Channels.shed, { open: slots.open });
    shedLog.note(which, {
      code: 'TELEMD_SHED',
      which,
      max_connections: options.stage().config.intake_max_connections,
    });
    answer(socket, { ok: false, ...SHED });
  }

  function reject(peer: PeerInfo, code: string, detail: string, bytes: number): void {
    counters.rejected++;
    counters.rejectedByCode.set(code, (counters.rejectedByCode.get(code) ?? 0) + 1);
    // Node has no SO_PEERCRED: the peer's uid/pid cannot be logged, only the connection number.
    const fields = { code, detail, bytes, conn: peer.connection };
    // Connect-and-close (e.g. a liveness check) is not a hostile frame: keep it quiet.
    if (code === 'TELEMD_EMPTY_CONNECTION') logger.log('info', 'frame rejected', fields);
    else rejectLog.note(code, fields);
    publish(Channels.rejected, { code, detail, bytes, peer });
    options.onRejected({ code, detail, bytes });
  }

  async function readAndAdmit(socket: net.Socket, peer: PeerInfo): Promise<Refusal | undefined> {
    const result = await readFrame(socket, {
      readTimeoutMs: options.stage().config.intake_read_timeout_ms,
      onFirstByte: () => slots.active(socket),
    });
    // Read: the connection now only waits for its answer.
    slots.release(socket);
    if (!result.ok) {
      // Shed while idle: already answered and counted as shed, not a rejected frame.
      if (wasShed.has(socket)) return SHED;
      reject(peer, result.code, result.detail, result.bytes);
      return { code: 'TELEM_INVALID_FRAME', detail: `${result.code}: ${result.detail}` };
    }
    // admit() reads the stage afresh, deliberately: a reload during the read retires the stage
    // the read began under, and the new one takes the record.
    return admit(result.frame, peer, result.bytes);
  }

  async function admit(frame: DecodedFrame, peer: PeerInfo, bytes: number): Promise<Refusal | undefined> {
    // One stage for the whole admission: its id and facts enrich the record its pipeline keeps.
    const current = options.stage();
    const valid = validateFrame(frame, {
      machineId: current.machineId.current(),
      hostFacts: current.hostFacts,
    });
    if (!valid.ok) {
      reject(peer, valid.code, valid.detail, bytes);
      return { code: 'TELEM_INVALID_FRAME', detail: `${valid.code}: ${valid.detail}` };
    }
    const { record } = valid;
    counters.accepted++;
    logger.log('debug', 'record accepted', {
      classification: record.headers.classification,
      event_id: record.headers.event_id,
      bytes,
      framing: frame.framing,
      refilled: valid.refilled.length > 0 ? valid.refilled.join(',') : undefined,
      trailing_bytes: frame.trailingBytes > 0 ? frame.trailingBytes : undefined,
      conn: peer.connection,
    });
    publish(Channels.accepted, { record, peer });
    options.onAccepted(record);
    try {
      return (await current.pipeline.accept(record)) ?? undefined;
    } catch (error) {
      logger.log('err', 'internal error while keeping a record', { error: String(error) });
      return { code: 'TELEM_SPOOL_IO', detail: 'internal error' };
    }
  }

  return {
    async handle(socket, peer) {
      const refusal = await readAndAdmit(socket, peer);
      // Only now is the probe told: after the record is durable (or delivered), or why not.
      answer(socket, refusal ? { ok: false, ...refusal } : { ok: true });
    },
    admit,
    shed,
    flushLogs() {
      shedLog.flush();
      rejectLog.flush();
    },
  };
}
