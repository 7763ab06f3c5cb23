// The test helper (test/helpers/collector.ts) as other suites use it: real
// HTTP(S) on 127.0.0.1, fault injection, the port going down and coming back.
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import { describe, test } from 'node:test';
import { requestHeader, startCollector, tlsAvailable } from '../helpers/collector.ts';
import { readVector } from '../helpers/vectors.ts';
import { parseHttpMessage } from './raw-http.ts';
import { lacks } from '../helpers/need.ts';
import { FaultServer } from './fault-server.ts';

/** The hprobe record as the C client v2.3.5 posts it (header pairs + body). */
function hprobeRequest(): { headers: [string, string][]; body: Buffer } {
  const { headers, body } = parseHttpMessage(readVector('http/v2.3.5-hprobe.request.http'));
  const pairs = [...headers].filter(([name]) => !['host', 'content-length', 'accept'].includes(name));
  return { headers: pairs, body };
}

async function postRecord(url: string): Promise<Response> {
  const { headers, body } = hprobeRequest();
  return fetch(url, { method: 'POST', headers, body });
}

describe('startCollector', () => {
  test('stores a record posted with fetch and keeps the raw request', async () => {
    await using collector = await startCollector();
    assert.match(collector.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(collector.v2Url, `${collector.url}/v2/collector`);
    const res = await postRecord(collector.v2Url);
    assert.equal(res.status, 201);
    const json = (await res.json()) as { id: number; payload: string };
    assert.equal(json.id, 1);
    assert.equal(json.payload, 'hello\n\n');
    const [record] = await collector.waitForRecords(1);
    assert.equal(record?.classification, 'org.clearlinux/hello/world');
    assert.equal(record?.build, '12');
    assert.equal(record?.system_name, 'debian');
    assert.equal(record?.request.method, 'POST');
    assert.equal(record?.request.path, '/v2/collector');
    assert.deepEqual(record?.request.body, Buffer.from('hello\n\n'));
    assert.ok(
      record?.request.rawHeaders.some(([name, value]) => name === 'record_format_version' && value === '4'),
    );
    assert.equal(collector.requests[0]?.status, 201);
    assert.equal(requestHeader(record!.request, 'Record-Format-Version'), '4');
    assert.equal(requestHeader(record!.request, 'x-telemetry-tid'), collector.tid);
    assert.equal(requestHeader(record!.request, 'no-such-header'), undefined);
  });

  test('parallel posts each get their own id', async () => {
    await using collector = await startCollector();
    const statuses = await Promise.all(
      Array.from({ length: 40 }, () => postRecord(collector.v2Url).then((r) => r.status)),
    );
    assert.ok(statuses.every((s) => s === 201));
    const records = await collector.waitForRecords(40);
    assert.deepEqual(
      records.map((r) => r.id),
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
  });

  test('records a rejected request with its status and message, stores nothing', async () => {
    await using collector = await startCollector({ tid: 'other-tid' });
    const res = await postRecord(collector.v2Url);
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { message: 'Telemetry ID mismatch' });
    const [request] = await collector.waitForResponses(1);
    assert.equal(request?.status, 400);
    assert.equal(request?.outcome, 'Telemetry ID mismatch');
    assert.equal(collector.records.length, 0);
  });

  test('waitForRecords rejects at the deadline with what it saw', async () => {
    await using collector = await startCollector();
    await fetch(collector.url, { method: 'PUT' });
    await assert.rejects(
      collector.waitForRecords(1, { timeoutMs: 50 }),
      /1 record\(s\) not reached.*PUT \/ -> 405/,
    );
  });

  test('respondWith a status for n requests, then back to normal', async () => {
    await using collector = await startCollector();
    collector.respondWith({ status: 503, retryAfter: '2' }, { times: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await postRecord(collector.v2Url);
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '2');
      await res.arrayBuffer();
    }
    assert.equal((await postRecord(collector.v2Url)).status, 201);
    assert.equal(collector.records.length, 1);
    assert.deepEqual(
      collector.requests.map((r) => r.status),
      [503, 503, 201],
    );
  });

  test('respondWith store: true stores and still answers the fault (upstream B1)', async () => {
    await using collector = await startCollector();
    collector.respondWith({ status: 500, store: true });
    assert.equal((await postRecord(collector.v2Url)).status, 500);
    assert.equal((await postRecord(collector.v2Url)).status, 500);
    assert.deepEqual(
      collector.records.map((r) => r.id),
      [1, 2],
    );
    collector.respondWith(null);
    assert.equal((await postRecord(collector.v2Url)).status, 201);
  });

  test('respondWith refuses a count below 1', async () => {
    await using collector = await startCollector();
    assert.throws(() => collector.respondWith({ status: 500 }, { times: 0 }), RangeError);
  });

  test('respondWith a function decides per request', async () => {
    await using collector = await startCollector();
    collector.respondWith((req) => (req.path === '/' ? { status: 429 } : undefined));
    assert.equal((await postRecord(`${collector.url}/`)).status, 429);
    assert.equal((await postRecord(collector.v2Url)).status, 201);
  });

  test('a hung request stays unanswered until stop(), which cuts it', async () => {
    await using collector = await startCollector();
    collector.respondWith({ hang: true }, { times: 1 });
    const pending = postRecord(collector.v2Url);
    await collector.waitForRequests(1);
    assert.equal(collector.requests[0]?.status, null);
    await collector.stop();
    await assert.rejects(pending);
    assert.equal(collector.records.length, 0);
  });

  test('reset destroys the connection without an answer', async () => {
    await using collector = await startCollector();
    collector.respondWith({ reset: true }, { times: 1 });
    await assert.rejects(postRecord(collector.v2Url));
    assert.equal((await postRecord(collector.v2Url)).status, 201);
  });

  test('stop() frees the port and start() serves again on the same port', async () => {
    await using collector = await startCollector();
    assert.equal((await postRecord(collector.v2Url)).status, 201);
    await collector.stop();
    await assert.rejects(postRecord(collector.v2Url));
    // Nothing listens: a plain TCP connect is refused.
    await assert.rejects(
      new Promise<void>((resolve, reject) => {
        const s = net.connect(collector.port, '127.0.0.1', () => {
          s.destroy();
          resolve();
        });
        s.on('error', reject);
      }),
      /ECONNREFUSED/,
    );
    await collector.start();
    assert.equal((await postRecord(collector.v2Url)).status, 201);
    assert.deepEqual(
      collector.records.map((r) => r.id),
      [1, 2],
    );
  });

  test('close() is idempotent and start() after close() throws', async () => {
    const collector = await startCollector();
    await collector.close();
    await collector.close();
    await assert.rejects(collector.start(), /after close/);
  });

  test('listens on ::1 when asked', async (t) => {
    const hasV6 = await new Promise<boolean>((resolve) => {
      const probe = net.createServer().listen(0, '::1', () => probe.close(() => resolve(true)));
      probe.on('error', () => resolve(false));
    });
    if (!hasV6) {
      t.skip('no IPv6 loopback');
      return;
    }
    await using collector = await startCollector({ host: '::1' });
    assert.match(collector.url, /^http:\/\/\[::1\]:\d+$/);
    assert.equal((await postRecord(collector.v2Url)).status, 201);
  });

  test('GET redirects, other paths 404, other methods 405', async () => {
    await using collector = await startCollector();
    const get = await fetch(collector.v2Url, { redirect: 'manual' });
    assert.equal(get.status, 302);
    assert.equal(get.headers.get('location'), '/telemetryui');
    assert.equal((await fetch(`${collector.url}/v2/collectorX`, { method: 'POST' })).status, 404);
    assert.equal((await fetch(collector.v3Url)).status, 405);
    assert.equal((await fetch(`${collector.url}/api/records`, { method: 'POST' })).status, 405);
  });

  test('GET /api/records lists what was stored, newest first', async () => {
    await using collector = await startCollector();
    await postRecord(collector.v2Url);
    await postRecord(collector.v2Url);
    const res = await fetch(`${collector.url}/api/records?limit=10`);
    assert.equal(res.status, 200);
    const { records } = (await res.json()) as { records: { id: number }[] };
    assert.deepEqual(
      records.map((r) => r.id),
      [2, 1],
    );
  });

  test('serves HTTPS with a certificate the CA file verifies', async (t) => {
    if (lacks(t, !(await tlsAvailable()) && 'openssl CLI not found')) return;
    await using collector = await startCollector({ tls: true });
    assert.match(collector.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(collector.caFile);
    const { readFileSync } = await import('node:fs');
    const ca = readFileSync(collector.caFile);
    const { headers, body } = hprobeRequest();
    const status = await new Promise<number>((resolve, reject) => {
      const req = https.request(
        collector.v2Url,
        { method: 'POST', ca, headers: Object.fromEntries(headers) },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(status, 201);
    // Without the CA the certificate is not trusted.
    await assert.rejects(
      new Promise((resolve, reject) => {
        const req = https.request(collector.v2Url, { method: 'POST', agent: false }, resolve);
        req.on('error', reject);
        req.end();
      }),
      /self-signed|unable to verify|SELF_SIGNED|UNABLE_TO_GET_ISSUER/i,
    );
  });
});

test('a body above the cap is answered 413 and not stored', async () => {
  const server = await FaultServer.create({ maxBodyBytes: 4 });
  const { port } = await server.listen();
  try {
    const { headers } = hprobeRequest();
    const res = await fetch(`http://127.0.0.1:${port}/v2/collector`, {
      method: 'POST',
      headers,
      body: 'hello',
    });
    assert.equal(res.status, 413);
    assert.equal(server.records.length, 0);
    assert.equal(server.requests[0]?.status, 413);
  } finally {
    await server.close();
  }
});
