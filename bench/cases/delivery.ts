// (b) delivery: a spool pre-written in C's format (spec 7.2) drained to the sink.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { type BenchCase, type BenchEnv, metric, type Outcome, skip } from '../harness/case.ts';
import { cSpoolFile, cSpoolName, seededRandom } from '../harness/records.ts';
import { msBetween, startDaemonUnderTest, Telemd } from '../harness/telemd.ts';

function writeCSpool(spoolDir: string, count: number, seed: number): void {
  const random = seededRandom(seed);
  const now = Math.floor(Date.now() / 1000);
  const names = new Set<string>();
  while (names.size < count) names.add(cSpoolName(random));
  let i = 0;
  for (const name of names)
    writeFileSync(path.join(spoolDir, name), cSpoolFile(i++, now, random), { mode: 0o600 });
}

async function runDelivery(env: BenchEnv): Promise<Outcome> {
  if (env.unavailable.telemd !== null) return skip(env.unavailable.telemd);
  const total = env.quick ? 200 : 10_000;
  const root = env.freshDir('tmpfs');
  const layout = Telemd.layout({ root, server: env.sink.url });
  writeCSpool(layout.spool, total, 42);
  await env.sink.reset();
  await using telemd = startDaemonUnderTest(env, {
    root,
    server: env.sink.url,
  });
  const state = await env.sink.awaitCount(total, env.caseTimeoutMs);
  const memory = telemd.memory();
  if (!state.reached || state.firstNs === null || state.lastNs === null) {
    return skip(
      `only ${state.count}/${total} delivered within ${env.caseTimeoutMs} ms (${telemd.exitDescription()})`,
    );
  }
  const metrics = [
    // steady rate, first to last arrival: start-up is measured by case (e)
    metric('delivered_rps', 'rec/s', (total - 1) / (msBetween(state.firstNs, state.lastNs) / 1000)),
    metric('drain_total', 'ms', msBetween(telemd.spawnedAtNs, state.lastNs)),
  ];
  if (memory !== null) metrics.push(metric('peak_rss', 'MiB', memory.peakMiB));
  return { kind: 'ok', metrics };
}

export function deliveryCases(): BenchCase[] {
  return [
    {
      id: 'b.delivery.tmpfs',
      title: 'delivery C spool -> sink',
      references: { delivered_rps: { c: '1.2-1.9k', target: '>= 8000' } },
      run: runDelivery,
    },
  ];
}
