// The reference collector as a program, for trying telemd by hand:
//   node test/collector/main.ts --port 8080 [--host 127.0.0.1] [--tid X] [--tls]
// Prints its URLs on stdout, logs one line per request on stderr, stops on
// SIGINT/SIGTERM. Needs `npm run build` first (it logs through libtelemetry).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createStderrLogger } from '@telemetrics/libtelemetry/log';
import { getTestCertificates } from '../helpers/test-ca.ts';
import { CollectorServer } from './server.ts';
import { DEFAULT_TID } from '../../packages/collector/src/ingest/validate.ts';

const HELP = `Usage: node test/collector/main.ts [OPTIONS]

A reference telemetrics collector (telemetrics-backend's record validation,
collector.md §4) that keeps the records it accepts in memory.

Routes:
  POST /v2/collector, POST /   the v2 headers API (telemetrics-client 2.3.x, telemd)
  POST /v3/collector           the JSON API of telemetrics-client 2.4.x
  GET  /api/records            query the stored records (collector.md §5)

Options:
  -p, --port PORT   TCP port to listen on (default 8080; 0 picks a free one)
  -H, --host ADDR   address to bind (default 127.0.0.1)
  -t, --tid TID     telemetry ID to require in X-Telemetry-TID
                    (default ${DEFAULT_TID})
      --tls         serve HTTPS with a throw-away CA made by the openssl CLI;
                    the CA file to trust is printed at start
  -h, --help        show this help and exit
      --version     print the version and exit

Each request is logged on stderr as one line: method, path, status, and the
record id and classification, or the rejection message.

Exit status: 0 after SIGINT/SIGTERM, 1 if the server cannot start, 2 on a
usage error.
`;

async function main(argv: string[]): Promise<number> {
  let values: {
    port?: string;
    host?: string;
    tid?: string;
    tls?: boolean;
    help?: boolean;
    version?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string', short: 'H' },
        tid: { type: 'string', short: 't' },
        tls: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    }));
  } catch (err) {
    process.stderr.write(`collector: ${(err as Error).message}; try --help\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.version) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    process.stdout.write(`collector ${pkg.version}\n`);
    return 0;
  }
  const port = Number(values.port ?? '8080');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`collector: invalid port '${values.port}'; try --help\n`);
    return 2;
  }
  const host = values.host ?? '127.0.0.1';
  const log = createStderrLogger('info');

  const certs = values.tls ? await getTestCertificates() : undefined;
  if (values.tls && !certs) {
    log.log('err', 'the openssl CLI is needed for --tls and was not found');
    return 1;
  }
  const server = new CollectorServer({
    ...(values.tid !== undefined ? { tid: values.tid } : {}),
    ...(certs ? { tls: { key: certs.key, cert: certs.cert } } : {}),
  });
  server.subscribe((event) => {
    if (event.type !== 'response') return;
    const r = event.request;
    const record = r.recordId === undefined ? undefined : server.records.find((x) => x.id === r.recordId);
    log.log(r.status !== null && r.status < 300 ? 'info' : 'notice', `${r.method} ${r.path}`, {
      status: r.status ?? 'none',
      id: record?.id,
      classification: record?.classification,
      message: record ? undefined : r.outcome,
    });
  });
  let bound: { port: number };
  try {
    bound = await server.listen(port, host);
  } catch (err) {
    log.log('err', 'cannot listen', { host, port, error: (err as Error).message });
    return 1;
  }
  const url = `${certs ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${bound.port}`;
  process.stdout.write(`${url}\n${url}/v2/collector\n${url}/v3/collector\n`);
  if (certs) process.stdout.write(`cainfo=${certs.caFile}\n`);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
