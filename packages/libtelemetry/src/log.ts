// Operator logging: one line per event on stderr with an sd-daemon priority
// prefix (<3> error .. <7> debug) so journald files it at the right level.
// A Logger is passed in; pure code never logs.

export const LogLevels = {
  emerg: 0,
  alert: 1,
  crit: 2,
  err: 3,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
} as const;
export type LogLevel = keyof typeof LogLevels;

export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

function quote(value: string): string {
  return /^[^\s"=]*$/.test(value) && value !== '' ? value : JSON.stringify(value);
}

export function formatLogLine(level: LogLevel, message: string, fields?: LogFields): string {
  let line = `<${LogLevels[level]}>${message}`;
  if (fields) {
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) line += ` ${key}=${quote(String(value))}`;
    }
  }
  return line.replaceAll('\n', '\\n');
}

/** A logger writing to a stream (stderr by default), dropping levels above `max`. */
export function createStderrLogger(
  max: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Logger {
  const limit = LogLevels[max];
  return {
    log(level, message, fields) {
      if (LogLevels[level] <= limit) write(formatLogLine(level, message, fields));
    },
  };
}

/** Collects lines in memory; for tests and for tools that buffer output. */
export function createMemoryLogger(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    log(level, message, fields) {
      lines.push(formatLogLine(level, message, fields));
    },
  };
}
