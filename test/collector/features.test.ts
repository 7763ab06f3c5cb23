// What the collector adds to upstream, against the real collector on SQLite and PostgreSQL:
// the batch endpoint and its advertisement, crash processing on ingest, /api/records' cursor,
// NDJSON export and filters, NDJSON events, OTLP logs, the access rule and the bounds.
import assert from 'node:assert/strict';
import net from 'node:net';
import fc from 'fast-check';
import { after, before, describe, test } from 'node:test';
import { inCI } from '../helpers/need.ts';
import { type PostgresCluster, postgresAvailable, startPostgres } from '../helpers/postgres.ts';
import { readVector } from '../helpers/vectors.ts';
import { type InProcessCollector, startInProcess } from './in-process.ts';
import { parseHttpMessage, sendRaw } from './raw-http.ts';

const TID = '6907c830-eed9-4ce9-81ae-76daf8d88f0f';
const ADVERTISED = '/v2/collector/batch; max-records=500; max-bytes=4194304';

function hprobeHeaders(extra: Record<string, string> = {}): Record<string, string> {
  const { headers } = parseHttpMessage(readVector('http/v2.3.5-hprobe.request.http'));
  const out: Record<string, string> = {};
  for (const [name, value] of headers)
    if (!['host', 'content-length', 'accept'].includes(name)) out[name] = value;
  return { ...out, ...extra };
}

const crashPayload = (): string => readVector('crash/payloads/v2.4.3-crashme-g.payload.txt').toString('utf8');
const withoutTid = (h: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(h).filter(([n]) => n.toLowerCase() !== 'x-telemetry-tid'));

let cluster: PostgresCluster | undefined;
before(async () => {
  if (postgresAvailable() || inCI) cluster = await startPostgres();
});
after(() => cluster?.close());

for (const dialect of ['sqlite', 'postgres'] as const) {
  const skip = dialect === 'postgres' && !postgresAvailable() && !inCI;
  describe(`${dialect}`, { skip }, () => {
    let c: InProcessCollector;
    let url = '';
    before(async () => {
      c = await startInProcess(dialect === 'sqlite' ? undefined : await cluster!.createDatabase());
      url = `http://127.0.0.1:${c.port}`;
    });
    after(() => c.close());

    test('every ingestion answer advertises the batch endpoint, 400s included', async () => {
      const ok = await fetch(`${url}/v2/collector`, { method: 'POST', headers: hprobeHeaders(), body: 'x' });
      assert.equal(ok.status, 201);
      assert.equal(ok.headers.get('x-telemetrics-batch'), ADVERTISED);
      const bad = await fetch(`${url}/v3/collector`, {
        method: 'POST',
        headers: { 'X-Telemetry-TID': 'no' },
        body: '{}',
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.headers.get('x-telemetrics-batch'), ADVERTISED);
    });

    test('batch: per-record 201 with ids and 400 with the v2 message, in request order', async () => {
      const before = await c.count();
      const good = withoutTid(hprobeHeaders());
      const body = {
        records: [
          { id: 'a', headers: good, payload: 'one\n' },
          { id: 'b', headers: { ...good, severity: '9' }, payload: 'two\n' },
          { id: 'c', headers: good, payload: 'three\n' },
        ],
      };
      const res = await fetch(`${url}/v2/collector/batch`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Telemetry-TID': TID },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 200);
      const { results } = (await res.json()) as {
        results: { id: string; status: number; record_id?: number; message?: string }[];
      };
      assert.deepEqual(
        results.map((r) => [r.id, r.status, r.message]),
        [
          ['a', 201, undefined],
          ['b', 400, 'severity value is out of range'],
          ['c', 201, undefined],
        ],
      );
      assert.equal(await c.count(), before + 2);
      const rows = await c.db.query<{ payload: string }>('SELECT payload FROM records WHERE id = $1', [
        results[2]!.record_id,
      ]);
      assert.equal(rows[0]?.payload, 'three\n');
    });

    test('batch: a wrong TID, a malformed body or too many records store nothing', async () => {
      const before = await c.count();
      const post = (tid: string, body: string) =>
        fetch(`${url}/v2/collector/batch`, { method: 'POST', headers: { 'X-Telemetry-TID': tid }, body });
      const r1 = await post('wrong', '{"records":[]}');
      assert.deepEqual([r1.status, await r1.json()], [400, { message: 'Telemetry ID mismatch' }]);
      assert.equal((await post(TID, '{"records":')).status, 400);
      assert.equal(
        (
          await post(
            TID,
            '{"records":[{"id":"x","headers":{},"payload":"p"},{"id":"x","headers":{},"payload":"p"}]}',
          )
        ).status,
        400,
      );
      const many = {
        records: Array.from({ length: 501 }, (_, i) => ({ id: `r${i}`, headers: {}, payload: '' })),
      };
      assert.equal((await post(TID, JSON.stringify(many))).status, 413);
      assert.equal(await c.count(), before);
    });

    test('a crash record is processed on ingest: guilty row, guilty_id, processed', async () => {
      const res = await fetch(`${url}/v2/collector`, {
        method: 'POST',
        headers: hprobeHeaders({ classification: 'org.clearlinux/crash/clr', severity: '3' }),
        body: crashPayload(),
      });
      assert.equal(res.status, 201);
      const { id } = (await res.json()) as { id: number };
      const [row] = await c.db.query<{ processed: unknown; function: string; module: string; hide: unknown }>(
        'SELECT r.processed, g.function, g.module, g.hide FROM records r JOIN guilty g ON g.id = r.guilty_id WHERE r.id = $1',
        [id],
      );
      assert.deepEqual(
        { ...row, processed: Boolean(row?.processed), hide: Boolean(row?.hide) },
        { processed: true, function: 'item_length()', module: '/usr/bin/crashme-g', hide: false },
      );
      // The blacklist applies to the next crash; processCrashRecords re-applies it to old ones.
      await c.db.run('INSERT INTO guilty_blacklisted (function, module) VALUES ($1, $2)', [
        'item_length()',
        '/usr/bin/crashme-g',
      ]);
      const { processCrashRecords } = await import('../../packages/collector/src/crash/process.ts');
      assert.ok((await processCrashRecords(c.db, { reprocessAll: true })) >= 1);
      const [after] = await c.db.query<{ function: string }>(
        'SELECT g.function FROM records r JOIN guilty g ON g.id = r.guilty_id WHERE r.id = $1',
        [id],
      );
      assert.equal(after?.function, 'process_list()');
    });

    test('/api/records: event_id filter, before_id cursor with a Link header, NDJSON export', async () => {
      const eventId = 'feedfacefeedfacefeedfacefeedface';
      for (let i = 0; i < 3; i++) {
        const r = await fetch(`${url}/v2/collector`, {
          method: 'POST',
          headers: hprobeHeaders({ event_id: eventId }),
          body: `n${i}`,
        });
        assert.equal(r.status, 201);
      }
      const byEvent = (await (await fetch(`${url}/api/records?event_id=${eventId}`)).json()) as {
        records: { id: number; payload: string }[];
      };
      assert.deepEqual(
        byEvent.records.map((r) => r.payload),
        ['n2', 'n1', 'n0'],
      );
      const page1 = await fetch(`${url}/api/records?event_id=${eventId}&limit=01`);
      const next = page1.headers.get('link');
      assert.match(next ?? '', /^<\/api\/records\?.*before_id=\d+.*>; rel="next"$/);
      const page2 = (await (await fetch(`${url}${/<([^>]+)>/.exec(next!)![1]}`)).json()) as {
        records: { payload: string }[];
      };
      assert.deepEqual(
        page2.records.map((r) => r.payload),
        ['n1'],
      );
      const nd = await fetch(`${url}/api/records?event_id=${eventId}&format=ndjson`);
      assert.equal(nd.headers.get('content-type'), 'application/x-ndjson');
      const lines = (await nd.text()).trimEnd().split('\n');
      assert.deepEqual(
        lines.map((l) => (JSON.parse(l) as { payload: string }).payload),
        ['n2', 'n1', 'n0'],
      );
      const future = Math.floor(Date.now() / 1000) + 3600;
      const none = (await (await fetch(`${url}/api/records?since=${future}`)).json()) as {
        records: unknown[];
      };
      assert.equal(none.records.length, 0);
    });

    test('NDJSON events: stored with the stream headers, answered with the count; bad lines store nothing', async () => {
      const res = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/jsonl', 'X-App': 'demo', Authorization: 'Bearer secret' },
        body: '{"type":"start"}\n\n{"type":"metric","v":1}\r\n[1,2]\n',
      });
      assert.deepEqual([res.status, await res.json()], [200, { stored: 3 }]);
      const rows = await c.db.query<{ payload: string; headers: string }>(
        'SELECT e.payload, s.headers FROM telemetrics_events e JOIN telemetrics_streams s ON s.id = e.stream_id ORDER BY e.id',
      );
      assert.deepEqual(
        rows.map((r) => r.payload),
        ['{"type":"start"}', '{"type":"metric","v":1}', '[1,2]'],
      );
      assert.match(rows[0]!.headers, /"X-App","demo"/);
      assert.doesNotMatch(rows[0]!.headers, /secret/, 'credentials are not kept');
      const bad = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/jsonl' },
        body: '{"a":1}\n{oops\n',
      });
      assert.deepEqual(
        [bad.status, await bad.json()],
        [400, { message: 'line 2 is not valid JSON', stored: 0 }],
      );
      assert.equal((await c.db.query('SELECT id FROM telemetrics_events')).length, 3);
      const wrongType = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: '{}',
      });
      assert.equal(wrongType.status, 415);
    });

    test('OTLP/HTTP JSON logs: each log record stored with its service name', async () => {
      const body = {
        resourceLogs: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'node-app' } }] },
            scopeLogs: [
              {
                scope: { name: 'crash' },
                logRecords: [
                  {
                    timeUnixNano: '1700000000000000000',
                    severityNumber: 21,
                    severityText: 'FATAL',
                    body: { stringValue: 'TypeError: x' },
                  },
                  { severityNumber: 9, body: { kvlistValue: { values: [] } } },
                ],
              },
            ],
          },
        ],
      };
      const res = await fetch(`${url}/v1/logs`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.deepEqual([res.status, await res.json()], [200, {}]);
      const rows = await c.db.query<{ service_name: string; body: string; severity_number: number }>(
        'SELECT service_name, body, severity_number FROM telemetrics_logs ORDER BY id',
      );
      assert.deepEqual(
        rows.map((r) => [r.service_name, r.body, Number(r.severity_number)]),
        [
          ['node-app', 'TypeError: x', 21],
          ['node-app', '{"kvlistValue":{"values":[]}}', 9],
        ],
      );
      const proto = await fetch(`${url}/v1/logs`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-protobuf' },
        body: 'x',
      });
      assert.equal(proto.status, 415);
    });
  });
}

describe('bounds and access', () => {
  test('an access token closes /api to clients without it, loopback included', async () => {
    await using c = await startInProcess(undefined, { accessToken: 's3cret' });
    const url = `http://127.0.0.1:${c.port}/api/records`;
    assert.equal((await fetch(url)).status, 403);
    assert.equal((await fetch(url, { headers: { Authorization: 'Bearer wrong' } })).status, 403);
    assert.equal((await fetch(url, { headers: { Authorization: 'Bearer s3cret' } })).status, 200);
    assert.equal((await fetch(url, { headers: { Cookie: 'a=b; telemetrics_token=s3cret' } })).status, 200);
    // Ingestion stays open (TID-checked).
    const post = await fetch(`http://127.0.0.1:${c.port}/v2/collector`, {
      method: 'POST',
      headers: hprobeHeaders(),
      body: 'x',
    });
    assert.equal(post.status, 201);
  });

  test('GET / and /telemetryui redirect to /telemetryui/, which passes the access rule first', async () => {
    await using c = await startInProcess(undefined, { accessToken: 'tok' });
    const base = `http://127.0.0.1:${c.port}`;
    for (const p of ['/', '/telemetryui']) {
      const res = await fetch(`${base}${p}`, { redirect: 'manual' });
      assert.deepEqual([res.status, res.headers.get('location')], [302, '/telemetryui/']);
    }
    assert.equal((await fetch(`${base}/telemetryui/`)).status, 403);
    assert.notEqual(
      (await fetch(`${base}/telemetryui/`, { headers: { Cookie: 'telemetrics_token=tok' } })).status,
      403,
    );
  });

  test('a body over the limit is answered 413 before it is all read, and nothing is stored', async () => {
    await using c = await startInProcess();
    const big = Buffer.alloc(17 * 1024 * 1024, 'a');
    const res = await fetch(`http://127.0.0.1:${c.port}/v2/collector`, {
      method: 'POST',
      headers: hprobeHeaders(),
      body: big,
    }).catch((err: Error) => err);
    if (!(res instanceof Error)) assert.equal(res.status, 413);
    assert.equal(await c.count(), 0);
  });

  test('bodies over the shared memory budget get 503 with Retry-After, and the budget comes back', async () => {
    await using c = await startInProcess(undefined, { maxBufferedBytes: 4096 });
    const url = `http://127.0.0.1:${c.port}/v2/collector`;
    const big = await fetch(url, {
      method: 'POST',
      headers: hprobeHeaders(),
      body: Buffer.alloc(8192, 'a'),
    }).catch((err: Error) => err);
    if (!(big instanceof Error)) {
      assert.equal(big.status, 503);
      assert.equal(big.headers.get('retry-after'), '5');
    }
    for (let i = 0; i < 5; i++) {
      const small = await fetch(url, {
        method: 'POST',
        headers: hprobeHeaders(),
        body: Buffer.alloc(3000, 'b'),
      });
      assert.equal(small.status, 201, 'each answered request gives its bytes back');
    }
    assert.equal(await c.count(), 5);
  });

  test('more than 100 header fields: 431, nothing stored', async () => {
    await using c = await startInProcess();
    const headers = hprobeHeaders();
    for (let i = 0; i < 120; i++) headers[`x-pad-${i}`] = 'p';
    const res = await fetch(`http://127.0.0.1:${c.port}/v2/collector`, {
      method: 'POST',
      headers,
      body: 'x',
    });
    assert.equal(res.status, 431);
    assert.equal(await c.count(), 0);
  });

  test('garbage on the socket gets 400 and a closed connection', async () => {
    await using c = await startInProcess();
    const reply = await new Promise<string>((resolve, reject) => {
      const s = net.connect(c.port, '127.0.0.1');
      let got = '';
      s.on('data', (d) => {
        got += d.toString();
      });
      s.on('close', () => resolve(got));
      s.on('error', reject);
      s.write('\x00\x01garbage\r\n\r\n');
    });
    assert.match(reply, /^HTTP\/1\.1 400 /);
  });

  test('fuzz: raw requests with arbitrary header fields never get a 5xx, and the collector keeps serving', async () => {
    await using c = await startInProcess();
    const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/);
    const value = fc.string({
      unit: fc.integer({ min: 0x20, max: 0xff }).map((n) => String.fromCharCode(n)),
      maxLength: 30,
    });
    const base = [...parseHttpMessage(readVector('http/v2.3.5-hprobe.request.http')).headers].filter(
      ([n]) => !['host', 'content-length'].includes(n),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.oneof(token, fc.constantFrom(...base.map(([n]) => n))), value), {
          maxLength: 6,
        }),
        fc.subarray(base),
        fc.uint8Array({ maxLength: 40 }),
        async (extra, kept, body) => {
          let head = 'POST /v2/collector HTTP/1.1\r\nHost: x\r\n';
          for (const [n, v] of [...kept, ...extra]) head += `${n}: ${v.trim()}\r\n`;
          head += `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
          const res = await sendRaw(c.port, Buffer.concat([Buffer.from(head, 'latin1'), body]));
          assert.ok([201, 400].includes(res.status), `${res.status} ${res.body.toString()}`);
        },
      ),
      { numRuns: 150 },
    );
    const ok = await fetch(`http://127.0.0.1:${c.port}/v2/collector`, {
      method: 'POST',
      headers: hprobeHeaders(),
      body: 'x',
    });
    assert.equal(ok.status, 201);
  });
});
