// (h) the collector (issue 16): records into telemetrics-collector (the built dist, its own
// process) from 8 concurrent keep-alive clients, one record per POST and 100 per batch, into
// SQLite (on disk, synchronous=FULL) and PostgreSQL (a private cluster with fsync on): every
// answer is sent after its COMMIT. Beside them the floor: the same client against a node:http
// server that answers 201 without storing, so the ratio says what storage costs. Upstream's
// Flask collector (gunicorn 4x2, PostgreSQL 15) stored about 415 one-record POSTs/s here.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres } from '../../test/helpers/postgres.ts';
import { type BenchCase, type BenchEnv, metric, type Outcome, skip } from '../harness/case.ts';
import { closedLoop } from '../harness/http-load.ts';

const COLLECTOR = fileURLToPath(
  new URL('../../packages/collector/dist/telemetrics-collector.mjs', import.meta.url),
);
const CLIENTS = 8;
const BATCH = 100;
const TID = '6907c830-eed9-4ce9-81ae-76daf8d88f0f';

const FIELDS: Record<string, string> = {
  record_format_version: '4',
  classification: 'org.clearlinux/hello/world',
  severity: '1',
  machine_id: 'b3d4e9db45ac395912eb4993c06e7cb8',
  creation_timestamp: '1795320635',
  arch: 'x86_64',
  host_type: 'QEMU|Standard PC (Q35 + ICH9, 2009)|pc-q35-8.2',
  build: '"12"',
  kernel_version: '6.1.0-18-amd64',
  payload_format_version: '1',
  system_name: 'debian',
  board_name: 'no_bn_file|no_bv_file',
  cpu_model: 'AMD EPYC 7B13',
  bios_version: 'no_bv_file',
};
const eventId = (i: number): string => i.toString(16).padStart(32, '0');
const PAYLOAD = 'hello\n\n';

function onePost(i: number): Buffer {
  let head = 'POST /v2/collector HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/text\r\n';
  head += `X-Telemetry-TID: ${TID}\r\n`;
  for (const [k, v] of Object.entries(FIELDS)) head += `${k}: ${v}\r\n`;
  head += `event_id: ${eventId(i)}\r\nContent-Length: ${Buffer.byteLength(PAYLOAD)}\r\n\r\n`;
  return Buffer.from(head + PAYLOAD, 'latin1');
}

function batchPost(i: number): Buffer {
  const records = Array.from({ length: BATCH }, (_, j) => ({
    id: String(j),
    headers: { ...FIELDS, event_id: eventId(i * BATCH + j) },
    payload: PAYLOAD,
  }));
  const body = JSON.stringify({ records });
  const head =
    'POST /v2/collector/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
    `X-Telemetry-TID: ${TID}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  return Buffer.from(head + body, 'utf8');
}

async function startCollector(
  db: string,
): Promise<{ child: ChildProcess; port: number; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [COLLECTOR, '--db', db, '--port', '0', '--purge-old-records', 'false'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = / port=(\d+)/.exec(stderr);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => reject(new Error(`collector exited: ${stderr}`)));
  });
  return {
    child,
    port,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}

/** A node:http server answering 201 to everything after reading the body: the floor. */
async function startFloor(): Promise<{ port: number; stop(): Promise<void> }> {
  const script =
    "const s=require('node:http').createServer((q,r)=>{q.resume();q.on('end',()=>{r.writeHead(201,{'Content-Type':'application/json','Content-Length':2});r.end('{}')})});" +
    "s.listen(0,'127.0.0.1',()=>process.stderr.write(' port='+s.address().port+'\\n'))";
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise<number>((resolve) => {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      const m = / port=(\d+)/.exec(d);
      if (m) resolve(Number(m[1]));
    });
  });
  return {
    port,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

type Target = 'floor' | 'sqlite' | 'sqlite-normal' | 'postgres';

async function measure(env: BenchEnv, target: Target): Promise<Outcome> {
  const posts = env.quick ? 400 : 20_000;
  const batches = env.quick ? 8 : 400;
  let pg: Awaited<ReturnType<typeof startPostgres>> | undefined;
  let server: { port: number; stop(): Promise<void> };
  try {
    if (target === 'floor') server = await startFloor();
    else if (target === 'sqlite')
      server = await startCollector(`sqlite:${path.join(env.freshDir('disk'), 'c.db')}`);
    else {
      pg = await startPostgres({ fsync: true }).catch(() => undefined);
      if (pg === undefined) return skip("PostgreSQL (Debian's postgresql package) is not installed");
      server = await startCollector(await pg.createDatabase());
    }
  } catch (err) {
    await pg?.close();
    return skip(`cannot start: ${(err as Error).message}`);
  }
  try {
    // warm-up: the JIT and the database's first pages
    await closedLoop(server.port, CLIENTS, Math.min(500, posts), (i) => onePost(1_000_000 + i));
    const one = await closedLoop(server.port, CLIENTS, posts, onePost);
    const many = await closedLoop(server.port, CLIENTS, batches, batchPost);
    const ok =
      (one.statuses.get(201) ?? 0) === posts &&
      (many.statuses.get(target === 'floor' ? 201 : 200) ?? 0) === batches;
    if (!ok) return skip(`unexpected answers: ${JSON.stringify([...one.statuses, ...many.statuses])}`);
    return {
      kind: 'ok',
      metrics: [
        metric('post_rps', 'rec/s', posts / one.seconds),
        metric('batch_rps', 'rec/s', (batches * BATCH) / many.seconds),
      ],
      notes:
        target === 'floor'
          ? ['floor: node:http answering 201 without storing (batch_rps counts 100 per request)']
          : [],
    };
  } finally {
    await server.stop();
    await pg?.close();
  }
}

export function collectorCases(): BenchCase[] {
  const upstream = { c: 'upstream 415/s' };
  return [
    {
      id: 'h.collector.floor',
      title: 'collector floor (node:http, no storage)',
      run: (env) => measure(env, 'floor'),
    },
    {
      id: 'h.collector.sqlite',
      title: 'collector -> SQLite (durable)',
      references: {
        post_rps: { ...upstream, target: '>= 8000' },
        batch_rps: { ...upstream, target: '>= 41500' },
      },
      run: (env) => measure(env, 'sqlite'),
    },
    {
      id: 'h.collector.sqlite-normal',
      title: 'collector -> SQLite synchronous=normal (kill -9 safe, not power-cut safe)',
      references: { post_rps: upstream, batch_rps: upstream },
      run: (env) => measure(env, 'sqlite-normal'),
    },
    {
      id: 'h.collector.postgres',
      title: 'collector -> PostgreSQL (durable)',
      references: { post_rps: upstream, batch_rps: upstream },
      run: (env) => measure(env, 'postgres'),
    },
  ];
}
