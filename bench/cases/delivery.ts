// (b) delivery: a spool pre-written in C's format (spec 7.2) drained to the sink, three ways in
// the same run: telemd one record per POST (the C protocol, what a legacy collector takes),
// telemd batched (the sink advertises the batch endpoint of our collector's contract), and the
// floor: the reference daemon (plain Node, one record per POST, 8 in flight) on the same spool.
// C telempostd is not built here; its figure is the one issue 15 measured on this machine
// against the same kind of keep-alive sink (3.3k rec/s), quoted in the C column.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { type BenchCase, type BenchEnv, metric, type Outcome, skip } from '../harness/case.ts';
import { cSpoolFile, cSpoolName, seededRandom } from '../harness/records.ts';
import { msBetween, startDaemonUnderTest, Telemd, TOOLS } from '../harness/telemd.ts';

type Mode = 'one-per-post' | 'batch' | 'floor';
/** What our collector advertises (the batch contract's example). */
const BATCH = { maxRecords: 500, maxBytes: 4 * 1024 * 1024 } as const;

function writeCSpool(spoolDir: string, count: number, seed: number): void {
  const random = seededRandom(seed);
  const now = Math.floor(Date.now() / 1000);
  const names = new Set<string>();
  while (names.size < count) names.add(cSpoolName(random));
  let i = 0;
  for (const name of names)
    writeFileSync(path.join(spoolDir, name), cSpoolFile(i++, now, random), { mode: 0o600 });
}

async function runDelivery(env: BenchEnv, mode: Mode): Promise<Outcome> {
  if (mode !== 'floor' && env.unavailable.telemd !== null) return skip(env.unavailable.telemd);
  const total = env.quick ? 200 : 10_000;
  const root = env.freshDir('tmpfs');
  const layout = Telemd.layout({ root, server: env.sink.url });
  writeCSpool(layout.spool, total, 42);
  await env.sink.reset(mode === 'batch' ? BATCH : undefined);
  const daemon = mode === 'floor' ? { daemonMain: TOOLS.reference, daemonNodeArgs: [] } : env;
  await using telemd = startDaemonUnderTest(daemon, {
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
      title: 'delivery C spool -> sink, one record per POST',
      references: { delivered_rps: { c: '3.3k (issue 15)', target: '>= 6600 (2x C)' } },
      run: (env) => runDelivery(env, 'one-per-post'),
    },
    {
      id: 'b.delivery.batch',
      title: 'delivery C spool -> sink advertising batches (500/request)',
      references: { delivered_rps: { c: '3.3k (issue 15)', target: '>= 16500 (5x C)' } },
      run: (env) => runDelivery(env, 'batch'),
    },
    {
      id: 'b.delivery.floor',
      title: 'floor: reference daemon (plain node), one record per POST',
      run: (env) => runDelivery(env, 'floor'),
    },
  ];
}
