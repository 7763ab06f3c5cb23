// What a bench case is, and the environment every case gets from run.ts.
import type { RunStatTool } from './run-stat.ts';
import type { Sink } from './sink.ts';

export interface Metric {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
}

export type Outcome =
  | { readonly kind: 'ok'; readonly metrics: readonly Metric[]; readonly notes?: readonly string[] }
  | { readonly kind: 'skip'; readonly reason: string };

export type TempKind = 'tmpfs' | 'disk';

export interface BenchEnv {
  readonly quick: boolean;
  readonly sink: Sink;
  /** A fresh empty directory under the tmpfs or disk temp root, removed at the end of the bench. */
  freshDir(kind: TempKind): string;
  /** Work directory for generated artefacts (cores, the run-stat binary). */
  readonly workDir: string;
  readonly runStat: RunStatTool | string;
  /** The built C sender (sender.c), or null when senders run in node. */
  readonly cSenderExe: string | null;
  /** Per tool, null when usable, else why cases needing it skip. */
  readonly unavailable: {
    readonly telemd: string | null;
    readonly hprobe: string | null;
    readonly crashprobe: string | null;
  };
  readonly socketActivate: boolean;
  /** Entry point of the daemon under test (telemd unless --daemon says otherwise). */
  readonly daemonMain: string;
  /** Node options for the daemon (--profile adds --cpu-prof). */
  readonly daemonNodeArgs: readonly string[];
  /** Upper bound for any one wait inside a case. */
  readonly caseTimeoutMs: number;
  /** Pause before reading idle RSS, so start-up garbage can be collected. */
  readonly settleMs: number;
}

export interface Reference {
  /** What the C daemons did on this kind of machine (issue 8). */
  readonly c?: string;
  /** The issue 8 target. */
  readonly target?: string;
}

export interface BenchCase {
  /** Stable id used in results.jsonl, e.g. `a.intake.tmpfs.2`. */
  readonly id: string;
  readonly title: string;
  /** Per metric name. */
  readonly references?: Readonly<Record<string, Reference>>;
  run(env: BenchEnv): Promise<Outcome>;
}

export function skip(reason: string): Outcome {
  return { kind: 'skip', reason };
}

export function metric(name: string, unit: string, value: number): Metric {
  return { name, unit, value };
}
