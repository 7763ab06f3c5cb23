// What every verb module exports and what main.ts hands it. A verb never
// reads argv, env or process state itself: main.ts builds this context.
import type { TelemetryConfig } from '@telemetrics/libtelemetry/config';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** Placeholder shown in --help for string options. */
  readonly value?: string;
  readonly help: string;
}

export type OptionsTable = Readonly<Record<string, OptionSpec>>;
export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

export interface ExecResult {
  /** Exit status; 127 when the program could not be started. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CommandContext {
  /** Program name in messages (C used argv[0]). */
  readonly argv0: string;
  readonly config: TelemetryConfig;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /**
   * Root of the host files that are not config keys: /run/systemd/system,
   * /usr/lib/tmpfiles.d/telemetrics-dirs.conf, /etc/passwd, /etc/group and the
   * directories the tmpfiles file lists. `/` except in tests (`--root`).
   */
  readonly root: string;
  readonly getuid: () => number;
  /** Runs a program without a shell (execFile); never rejects. */
  readonly exec: (file: string, args: readonly string[]) => Promise<ExecResult>;
  readonly now: () => number;
  /** True when a process with this pid exists (kill(pid, 0)). */
  readonly pidAlive: (pid: number) => boolean;
}

export interface Command {
  readonly name: string;
  /** One line for the command list (C's usage text where C has the verb). */
  readonly summary: string;
  /** C's root check: all verbs but is-active (and our status). */
  readonly needsRoot: boolean;
  readonly options: OptionsTable;
  /** Extra --help text (man-page style), after the option list. */
  readonly description: string;
  readonly run: (ctx: CommandContext, values: OptionValues) => Promise<number>;
}
