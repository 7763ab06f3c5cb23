// A throw-away machine for running the real telemd in e2e tests: the three
// trees of telemd.service's ReadWritePaths= (spool, lib, log) under a temp
// directory, an opt-in marker, and a config pointing every path there and the
// server at a test collector, with a 1 s idle exit.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface TelemdWorkdir {
  readonly root: string;
  readonly conf: string;
  readonly socketPath: string;
  /** spool_dir, the machine id's directory, the journal's directory. */
  readonly writable: readonly [spool: string, lib: string, log: string];
}

export interface TelemdWorkdirOptions {
  /** chown the writable trees to this uid/gid (run-confined.sh runs telemd as 65534). */
  readonly owner?: number;
  /** Default 1: right for socket activation, where the frame waits in the socket. */
  readonly idleExitSeconds?: number;
}

export function makeTelemdWorkdir(
  root: string,
  collectorUrl: string,
  opts: TelemdWorkdirOptions = {},
): TelemdWorkdir {
  const { owner } = opts;
  const writable = [path.join(root, 'spool'), path.join(root, 'lib'), path.join(root, 'log')] as const;
  for (const d of writable) {
    fs.mkdirSync(d, { recursive: true });
    if (owner !== undefined) fs.chownSync(d, owner, owner);
  }
  const [spool, lib, log] = writable;
  fs.writeFileSync(path.join(root, 'opt-in'), '');
  const socketPath = path.join(root, 'telem-0');
  const conf = path.join(root, 'telemetrics.conf');
  fs.writeFileSync(
    conf,
    [
      '[settings]',
      `server=${collectorUrl}`,
      'server_api=v2',
      `socket_path=${socketPath}`,
      `spool_dir=${spool}`,
      `opt_in_file=${path.join(root, 'opt-in')}`,
      `machine_id_file=${path.join(lib, 'machine_id')}`,
      `static_machine_id_file=${path.join(root, 'no-static-id')}`,
      `journal_file=${path.join(log, 'journal')}`,
      `record_retention_dir=${path.join(log, 'records')}`,
      `status_file=${path.join(lib, 'telemd-status.json')}`,
      'rate_limit_enabled=false',
      'daemon_recycling_enabled=true',
      `idle_exit_seconds=${opts.idleExitSeconds ?? 1}`,
      // Under strace or a busy CI a request can be slow: no timeouts and long
      // backoffs that a healthy collector would never cause.
      'delivery_connect_timeout_ms=60000',
      'delivery_timeout_ms=60000',
      'delivery_retry_base_ms=200',
      '',
    ].join('\n'),
  );
  return { root, conf, socketPath, writable };
}

/** One frame, one connection, as a probe sends it; resolves once closed. */
export function sendFrame(socketPath: string, frame: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = net.connect(socketPath, () => c.end(frame));
    c.resume(); // telemd's acknowledgement is read and ignored, as a C probe ignores it
    c.on('error', reject);
    c.on('close', () => resolve());
  });
}

/** `promise`, or a rejection naming `what` after `ms` (a bound, not a sleep). */
export function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
