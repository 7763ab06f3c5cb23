// The seam between intake and durability. telemd hands every accepted record
// to a Pipeline; accept() resolves once the pipeline has done what it promises.
// The one implementation is the durable spool pipeline (spool/durable.ts): the
// record is on disk when accept() resolves. Tests may pass a stub (daemon.ts
// DaemonOptions.createPipeline) where only one of its answers matters.
import type { TelemRecord } from './record.ts';

export interface Pipeline {
  accept(record: TelemRecord): Promise<void>;
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
