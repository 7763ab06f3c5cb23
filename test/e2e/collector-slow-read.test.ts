// On SQLite a slow read of the web views or /api/records runs on a read thread (its own
// read-only connection), so an ingestion POST is answered while it runs, and what was
// acknowledged is readable at once. The slow read is a real statement that takes a few seconds
// (millions of steps, each calling the REGEXP function); an answer to a POST takes
// milliseconds. Were reads on the collector's thread, the POST's 201 could only come after the
// slow read settled: the order of the two events is what is checked, not a duration.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readsOf } from '../../packages/collector/src/db/open.ts';
import { startInProcess } from '../collector/in-process.ts';
import { parseHttpMessage } from '../collector/raw-http.ts';
import { readVector } from '../helpers/vectors.ts';

const SLOW_READ = `WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL
  SELECT n + 1 FROM c WHERE n < $1 AND 'step' REGEXP '^s') SELECT count(*) AS n FROM c`;
const STEPS = 5_000_000;

test('an ingestion POST is answered while a slow read runs; reads see the acknowledged record', async () => {
  await using c = await startInProcess();
  const reads = readsOf(c.db);
  const order: string[] = [];
  const slow = reads.query<{ n: number }>(SLOW_READ, [STEPS]).finally(() => order.push('slow read'));

  const { headers, body } = parseHttpMessage(readVector('http/v2.3.5-hprobe.request.http'));
  const h = Object.fromEntries(
    [...headers].filter(([n]) => !['host', 'content-length', 'accept'].includes(n)),
  );
  const res = await fetch(`http://127.0.0.1:${c.port}/v2/collector`, { method: 'POST', headers: h, body });
  order.push(`POST ${res.status}`);
  const { id } = (await res.json()) as { id: number };
  // /api/records reads on the other read thread, and sees the record the 201 acknowledged
  const listed = (await (await fetch(`http://127.0.0.1:${c.port}/api/records`)).json()) as {
    records: { id: number }[];
  };
  order.push('api/records');
  assert.deepEqual(
    listed.records.map((r) => r.id),
    [id],
  );
  assert.equal((await slow)[0]?.n, STEPS);
  assert.deepEqual(order, ['POST 201', 'api/records', 'slow read']);
});
