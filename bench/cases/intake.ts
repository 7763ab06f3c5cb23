// (a) intake: k concurrent senders, one record per connection, into the spool. The server is a
// port where nothing listens, so every accepted record stays in the spool and is counted there.
import { type BenchCase, type BenchEnv, metric, type Outcome, skip, type TempKind } from '../harness/case.ts';
import { pollUntil } from '../harness/poll.ts';
import { refusedUrl } from '../harness/refused-url.ts';
import { Senders } from '../harness/senders.ts';
import { warmUp } from '../harness/warm-up.ts';
import { countSpooled, msBetween, startDaemonUnderTest } from '../harness/telemd.ts';

export function intakeRecords(env: BenchEnv, kind: TempKind): number {
  if (env.quick) return 200;
  // fsync per record on a disk is orders slower; keep the run bounded in time
  return kind === 'tmpfs' ? 10_000 : 3_000;
}

async function runIntake(env: BenchEnv, kind: TempKind, senderCount: number): Promise<Outcome> {
  if (env.unavailable.telemd !== null) return skip(env.unavailable.telemd);
  const total = intakeRecords(env, kind);
  await using telemd = startDaemonUnderTest(env, {
    root: env.freshDir(kind),
    server: await refusedUrl(),
  });
  const accepted = await telemd.waitAccepting(env.caseTimeoutMs);
  if (accepted === null) return skip(`no accepting socket: ${telemd.exitDescription()}`);
  // one warm-up record, also proves records reach the spool with a dead server
  accepted.socket.destroy();
  const warm = await warmUp(
    telemd.socketPath,
    async (timeoutMs) => (await pollUntil(() => countSpooled(telemd.spoolDir) >= 1, timeoutMs, 2)) !== null,
    { tries: 5, waitMs: 2000 },
  );
  if (warm === null) return skip(`no warm-up record reached the spool (${telemd.exitDescription()})`);
  const baseline = countSpooled(telemd.spoolDir);
  using senders = await Senders.prepare({
    socketPath: telemd.socketPath,
    senders: senderCount,
    total,
    seed: 1000 * senderCount,
    cSenderExe: env.cSenderExe,
    workDir: env.workDir,
  });
  const sent = await senders.go();
  const target = baseline + total - sent.failed;
  const doneAt = await pollUntil(() => countSpooled(telemd.spoolDir) >= target, env.caseTimeoutMs, 5);
  const memory = telemd.memory();
  const notes: string[] = [];
  if (sent.retries > 0) notes.push(`sender retries ${sent.retries} ${JSON.stringify(sent.errors)}`);
  if (warm.sent > 1)
    notes.push(`${warm.sent - 1} warm-up record(s) right after start-up never reached the spool`);
  if (sent.failed > 0) notes.push(`${sent.failed} records failed to send`);
  const metrics = [metric('send_rps', 'rec/s', sent.sent / (msBetween(sent.startNs, sent.endNs) / 1000))];
  if (doneAt === null) {
    notes.push(
      `only ${countSpooled(telemd.spoolDir) - baseline}/${total} spooled within ${env.caseTimeoutMs} ms`,
    );
  } else {
    metrics.unshift(metric('spooled_rps', 'rec/s', total / (msBetween(sent.startNs, doneAt) / 1000)));
  }
  if (memory !== null) metrics.push(metric('peak_rss', 'MiB', memory.peakMiB));
  if (!telemd.alive) return skip(telemd.exitDescription());
  return { kind: 'ok', metrics, notes };
}

export function intakeCases(): BenchCase[] {
  const cases: BenchCase[] = [];
  for (const kind of ['tmpfs', 'disk'] as const) {
    for (const senders of [1, 2, 4, 8]) {
      cases.push({
        id: `a.intake.${kind}.${senders}`,
        title: `intake ${kind} ${senders} sender${senders > 1 ? 's' : ''}`,
        references:
          kind === 'tmpfs'
            ? {
                spooled_rps: {
                  c: '10-12k',
                  ...(senders === 2 ? { target: '>= 15000' } : {}),
                },
              }
            : {},
        run: (env) => runIntake(env, kind, senders),
      });
    }
  }
  return cases;
}
