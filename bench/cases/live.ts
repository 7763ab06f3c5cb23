// (c) live end to end: sender processes -> telemd -> sink, until every record has arrived.
import { setTimeout as delay } from 'node:timers/promises';
import { type BenchCase, type BenchEnv, metric, type Outcome, skip } from '../harness/case.ts';
import { Senders } from '../harness/senders.ts';
import { countSpooled, msBetween, startDaemonUnderTest } from '../harness/telemd.ts';
import { warmUp } from '../harness/warm-up.ts';

async function runLive(env: BenchEnv, senderCount: number): Promise<Outcome> {
  if (env.unavailable.telemd !== null) return skip(env.unavailable.telemd);
  const total = env.quick ? 100 : 5_000;
  await env.sink.reset();
  await using telemd = startDaemonUnderTest(env, {
    root: env.freshDir('tmpfs'),
    server: env.sink.url,
  });
  const accepted = await telemd.waitAccepting(env.caseTimeoutMs);
  if (accepted === null) return skip(`no accepting socket: ${telemd.exitDescription()}`);
  accepted.socket.destroy();
  const warm = await warmUp(
    telemd.socketPath,
    async (timeoutMs) => (await env.sink.awaitCount(1, timeoutMs)).reached,
    {
      tries: 5,
      waitMs: 2000,
    },
  );
  if (warm === null) return skip(`no warm-up record reached the sink (${telemd.exitDescription()})`);
  await env.sink.reset();
  using senders = await Senders.prepare({
    socketPath: telemd.socketPath,
    senders: senderCount,
    total,
    seed: 7000,
    cSenderExe: env.cSenderExe,
    workDir: env.workDir,
  });
  const sent = await senders.go();
  const state = await env.sink.awaitCount(total - sent.failed, env.caseTimeoutMs);
  const memory = telemd.memory();
  if (!state.reached || state.lastNs === null) {
    return skip(
      `only ${state.count}/${total} arrived within ${env.caseTimeoutMs} ms, ` +
        `${countSpooled(telemd.spoolDir)} waiting in the spool (${telemd.exitDescription()})`,
    );
  }
  const metrics = [metric('e2e_rps', 'rec/s', total / (msBetween(sent.startNs, state.lastNs) / 1000))];
  if (memory !== null) metrics.push(metric('peak_rss', 'MiB', memory.peakMiB));
  // What a daemon keeps after a burst, once idle (the spool's writer thread still runs: it stops
  // after 10 s without work).
  await delay(env.settleMs);
  const after = telemd.memory();
  if (after !== null) metrics.push(metric('rss_after_burst', 'MiB', after.rssMiB));
  const notes = sent.retries > 0 ? [`sender retries ${sent.retries} ${JSON.stringify(sent.errors)}`] : [];
  if (warm.sent > 1) notes.push(`${warm.sent - 1} warm-up record(s) right after start-up never arrived`);
  return { kind: 'ok', metrics, notes };
}

export function liveCases(): BenchCase[] {
  return [
    { id: 'c.live.tmpfs.2', title: 'live probe->telemd->sink, 2 senders', run: (env) => runLive(env, 2) },
  ];
}
