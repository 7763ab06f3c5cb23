// The seam between intake and durability. telemd hands every accepted record
// to a Pipeline; accept() resolves once the pipeline has done what it promises.
// The one implementation is the durable spool pipeline (pipeline/durable.ts): the
// record is on disk when accept() resolves, to undefined when it is kept or to the
// Refusal the probe is told. Tests may pass a stub (daemon.ts
// DaemonOptions.createPipeline) where only one of its answers matters.
import type { RefusalCode } from '@telemetrics/libtelemetry/wire';
import type { TelemRecord } from '../record.ts';

/** Why a record was not kept: the probe's SDK rejects with `code` (wire/ack.ts). */
export interface Refusal {
  readonly code: RefusalCode;
  readonly detail: string;
}

export interface Pipeline {
  /**
   * Nothing (undefined): kept (durable, delivered, or kept local as configured); else why not.
   * `void` so that a pipeline that never refuses (a test double) is one too.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: void is "kept", see above
  accept(record: TelemRecord): Promise<Refusal | void>;
  close(): Promise<void>;
  /** Optional: false while work is queued or spooled, which postpones the idle exit. */
  isIdle?(): boolean;
  /**
   * Optional: settles once the pipeline can keep records. A rejection (a coded error, e.g.
   * TELEMD_SPOOL_DIR) means it never will: the daemon refuses to start, a reload is refused.
   */
  readonly ready?: Promise<void>;
  /** Optional: what became of the records so far, as `key=value` fields for the exit summary. */
  summary?(): PipelineSummary;
}

/** Counts in the order they are logged. */
export type PipelineSummary = Readonly<Record<string, number>>;
