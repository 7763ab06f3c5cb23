// The telemetrics.conf a bench daemon runs with (INI of spec c-client.md 9.3). Pure.

export interface BenchConfigInput {
  readonly root: string;
  readonly server: string;
  readonly socketPath: string;
  readonly spoolDir: string;
  /** Extra or overriding keys, written last (last one wins in the INI parser). */
  readonly extra?: Readonly<Record<string, string>>;
}

/** INI escaping of spec 9.3: a backslash keeps the next character, `\s` is a space. */
function escapeValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/ /g, '\\s');
}

export function benchConfigText(input: BenchConfigInput): string {
  const keys: Record<string, string> = {
    server: input.server,
    server_api: 'v2',
    socket_path: input.socketPath,
    spool_dir: input.spoolDir,
    machine_id_file: `${input.root}/machine_id`,
    static_machine_id_file: `${input.root}/static-machine-id`,
    journal_file: `${input.root}/journal`,
    record_retention_dir: `${input.root}/records`,
    opt_in_file: `${input.root}/opt-in`,
    status_file: `${input.root}/status`,
    privacy_filters_override_file: `${input.root}/no-privacy-filters`,
    host_root: '/',
    tidheader: 'X-Telemetry-TID: 6907c830-eed9-4ce9-81ae-76daf8d88f0f',
    // Benches measure throughput, so no policy may throttle or expire what they send.
    rate_limit_enabled: 'false',
    daemon_recycling_enabled: 'false',
    record_retention_enabled: 'false',
    record_expiry: '-1',
    spool_max_size: '-1',
    ...input.extra,
  };
  let text = '# written by bench/harness for one benchmark run\n[settings]\n';
  for (const [key, value] of Object.entries(keys)) text += `${key}=${escapeValue(value)}\n`;
  return text;
}
