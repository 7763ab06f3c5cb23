// Replays the captured requests (test/vectors/collector/validation, api, and
// http/) byte for byte over TCP to the real collector, on SQLite and on a real
// PostgreSQL, and compares the answers with what telemetrics-backend answered.
// Where upstream answered HTML 500 (bugs B1, B5, B8) the reference answer is
// asserted instead. Last, the two databases' answers must be identical.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { inCI } from '../helpers/need.ts';
import { type PostgresCluster, postgresAvailable, startPostgres } from '../helpers/postgres.ts';
import { readVector, vectorPath } from '../helpers/vectors.ts';
import { type InProcessCollector, startInProcess } from './in-process.ts';
import { parseHttpMessage, sendRaw } from './raw-http.ts';

type Dialect = 'sqlite' | 'postgres';
/** Every answer per dialect, by vector name, run-dependent parts blanked. */
const answers: Record<Dialect, Map<string, string>> = { sqlite: new Map(), postgres: new Map() };
let cluster: PostgresCluster | undefined;
before(async () => {
  if (postgresAvailable() || inCI) cluster = await startPostgres();
});
after(() => cluster?.close());

async function open(dialect: Dialect): Promise<InProcessCollector> {
  return startInProcess(dialect === 'sqlite' ? undefined : await cluster!.createDatabase());
}

interface Live {
  readonly server: InProcessCollector;
  readonly port: number;
}

/**
 * A describe whose tests share one collector on `dialect`'s database, opened (and seeded by
 * `seed`) before them and closed after; the postgres ones are skipped where there is no
 * PostgreSQL, except in CI. The tests read the collector from `live` when they run.
 */
function describeOn(
  dialect: Dialect,
  title: string,
  body: (live: Live) => void,
  seed?: (live: Live) => Promise<void>,
): void {
  describe(`${dialect}: ${title}`, { skip: dialect === 'postgres' && !postgresAvailable() && !inCI }, () => {
    const live = {} as { server: InProcessCollector; port: number };
    before(async () => {
      live.server = await open(dialect);
      live.port = live.server.port;
      await seed?.(live);
    });
    after(() => live.server.close());
    body(live);
  });
}

/** The reference answers where upstream failed with HTML 500 (see validate.ts). */
const REFERENCE_INSTEAD_OF_500: Readonly<Record<string, string>> = {
  '12': 'Record-Format-Version headers are invalid, System-Name missing',
  '47': 'Error parsing payload_format_version, invalid input syntax for type integer: "1_0"',
  '48': 'timestamp is invalid',
  '49': 'Payload contains a NUL character',
};

function names(dir: string): string[] {
  return readdirSync(vectorPath(dir))
    .filter((f) => f.endsWith('.request.http'))
    .map((f) => f.slice(0, -'.request.http'.length))
    .sort();
}

function withoutReception(body: string): string {
  return body.replace(/"ts_reception":"[^"]*"/g, '"ts_reception":""');
}

/** The record JSON with the run-dependent parts (id, ts_reception) blanked. */
function comparable(body: string): string {
  return body.replace(/"id":\d+/g, '"id":0').replace(/"ts_reception":"[^"]*"/g, '"ts_reception":""');
}

async function post(port: number, file: string): Promise<void> {
  const res = await sendRaw(port, readVector(file));
  assert.equal(res.status, 201, `${file}: ${res.body.toString()}`);
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describeOn(dialect, 'validation vectors', (live) => {
    for (const name of names('collector/validation')) {
      const nn = name.slice(0, 2);
      test(name, async () => {
        const expected = parseHttpMessage(readVector(`collector/validation/${name}.response.http`));
        const expectedStatus = Number(expected.startLine.split(' ')[1]);
        const before = await live.server.count();
        const res = await sendRaw(live.port, readVector(`collector/validation/${name}.request.http`));
        answers[dialect].set(
          `validation/${name}`,
          `${res.status} ${comparable(res.body.toString('latin1'))}`,
        );
        const reference = REFERENCE_INSTEAD_OF_500[nn];
        if (reference !== undefined) {
          assert.equal(expectedStatus, 500, 'the vector documents an upstream 500');
          assert.equal(res.status, 400);
          assert.deepEqual(JSON.parse(res.body.toString()), { message: reference });
          assert.equal(await live.server.count(), before, 'nothing stored');
          return;
        }
        assert.equal(res.status, expectedStatus);
        assert.equal(`${res.status} ${res.reason}`, expected.startLine.slice('HTTP/1.1 '.length));
        assert.equal(res.headers.get('content-type'), expected.headers.get('content-type'));
        assert.equal(res.headers.get('location'), expected.headers.get('location'));
        if (expectedStatus === 201) {
          assert.equal(comparable(res.body.toString('latin1')), comparable(expected.body.toString('latin1')));
          assert.equal(await live.server.count(), before + 1);
          assert.equal((JSON.parse(res.body.toString()) as { id: number }).id, before + 1);
        } else {
          assert.equal(res.body.toString('latin1'), expected.body.toString('latin1'));
          assert.equal(await live.server.count(), before, 'nothing stored');
        }
      });
    }
  });

  describeOn(dialect, 'C client requests (http/)', (live) => {
    for (const name of names('http').filter((n) => n.startsWith('v2.3.5-'))) {
      test(`${name} is stored as the backend stored it`, async () => {
        const expected = parseHttpMessage(readVector(`collector/${name}.response.http`));
        const res = await sendRaw(live.port, readVector(`http/${name}.request.http`));
        answers[dialect].set(`http/${name}`, `${res.status} ${comparable(res.body.toString('latin1'))}`);
        assert.equal(res.status, 201);
        assert.equal(comparable(res.body.toString('latin1')), comparable(expected.body.toString('latin1')));
      });
    }

    for (const name of names('http').filter((n) => n.startsWith('v2.4.3-'))) {
      const request = parseHttpMessage(readVector(`http/${name}.request.http`));
      if (request.startLine.startsWith('POST /v2/collector')) {
        test(`${name} at /v2/collector is rejected as the backend rejected it`, async () => {
          const expected = parseHttpMessage(readVector(`collector/${name}.response.http`));
          const res = await sendRaw(live.port, readVector(`http/${name}.request.http`));
          assert.equal(res.status, 400);
          assert.equal(res.body.toString(), expected.body.toString());
        });
        continue;
      }
      test(`${name} is accepted at /v3/collector with the client's truncated values`, async () => {
        const sent = JSON.parse(request.body.toString('utf8')) as Record<string, string>;
        const res = await sendRaw(live.port, readVector(`http/${name}.request.http`));
        assert.equal(res.status, 201, res.body.toString());
        const got = JSON.parse(res.body.toString()) as Record<string, unknown>;
        assert.equal(got['build'], sent['build']?.replaceAll('"', ''));
        assert.equal(got['cpu_model'], sent['cpu_model']);
        assert.equal(got['machine_type'], sent['host_type']);
        assert.equal(got['payload'], sent['payload']);
        assert.equal(got['record_version'], 4);
        for (const key of [
          'arch',
          'bios_version',
          'board_name',
          'classification',
          'event_id',
          'machine_id',
        ] as const) {
          assert.equal(got[key], sent[key], key);
        }
        assert.equal(got['severity'], Number(sent['severity']));
        const [stored] = await live.server.db.query<{ system_name: string; timestamp_client: number }>(
          'SELECT system_name, timestamp_client FROM records WHERE id = $1',
          [got['id']],
        );
        assert.equal(stored?.system_name, sent['system_name']);
        assert.equal(Number(stored?.timestamp_client), Number(sent['creation_timestamp']));
      });
    }
    test('the 2.4.3 client cut cpu_model at its first space', async () => {
      const rows = await live.server.db.query('SELECT id FROM records WHERE cpu_model = $1', ['AMD']);
      assert.ok(rows.length > 0);
    });
  });

  describeOn(
    dialect,
    'api vectors (GET /api/records)',
    (live) => {
      for (const name of names('collector/api')) {
        test(name, async () => {
          const expected = parseHttpMessage(readVector(`collector/api/${name}.response.http`));
          const res = await sendRaw(live.port, readVector(`collector/api/${name}.request.http`));
          const body = res.body.toString('latin1');
          if (!name.startsWith('19-'))
            answers[dialect].set(`api/${name}`, `${res.status} ${withoutReception(body)}`);
          if (name.startsWith('24-')) {
            // Upstream's B2 (always 500); the reference answers like api/03 (`limit=10`).
            assert.match(expected.startLine, / 500 /);
            assert.equal(res.status, 200);
            const ids = (JSON.parse(body) as { records: { id: number }[] }).records.map((r) => r.id);
            assert.deepEqual(ids, [22, 21, 20, 19, 18, 17, 16, 15, 14, 13]);
            return;
          }
          assert.equal(`${res.status} ${res.reason}`, expected.startLine.slice('HTTP/1.1 '.length));
          if (name.startsWith('19-')) {
            // created_in_sec=1: which records fall in the last second depends on timing; check the shape.
            const ids = (JSON.parse(body) as { records: { id: number }[] }).records.map((r) => r.id);
            assert.deepEqual(
              ids,
              [...ids].sort((a, b) => b - a),
            );
            assert.ok(ids.every((id) => id >= 1 && id <= 22));
            return;
          }
          const idsOf = (text: string): number[] =>
            (JSON.parse(text) as { records?: { id: number }[] }).records?.map((r) => r.id) ?? [];
          assert.deepEqual(idsOf(body), idsOf(expected.body.toString('latin1')));
          assert.equal(withoutReception(body), withoutReception(expected.body.toString('latin1')));
        });
      }
    },
    async (live) => {
      // The table as it was when the api/ vectors were captured: ids 1..5 from the v2.3.5
      // requests, 6 the hprobe re-post stored by the unfixed collector, then the 201 cases 01..43.
      for (const name of ['hprobe', 'heartbeat', 'special', 'special-cfg', 'payload-8187']) {
        await post(live.port, `http/v2.3.5-${name}.request.http`);
      }
      await post(live.port, 'http/v2.3.5-hprobe.request.http');
      for (const name of names('collector/validation').filter((n) => Number(n.slice(0, 2)) <= 43)) {
        const status = parseHttpMessage(readVector(`collector/validation/${name}.response.http`)).startLine;
        if (status.includes(' 201 ')) await post(live.port, `collector/validation/${name}.request.http`);
      }
      assert.equal(await live.server.count(), 22);
    },
  );
}

test('SQLite and PostgreSQL give identical answers to every vector', (t) => {
  if (answers.postgres.size === 0 && !inCI) return t.skip('no PostgreSQL');
  assert.ok(answers.sqlite.size > 60, `only ${answers.sqlite.size} answers`);
  assert.deepEqual([...answers.postgres.entries()].sort(), [...answers.sqlite.entries()].sort());
});
