// (a) intake: k concurrent senders, one record per connection, into the spool. The server is a
// port where nothing listens, so every accepted record stays in the spool and is counted there.
// spooled_rps counts a record once it is durable under its name (telemd acknowledges only then,
// docs/intake.md); the C senders write and close as C probes do, so they do not wait for it.
// Each case also runs the bare-Node reference daemon (harness/reference-daemon.ts: temp file,
// fsync, rename, directory fsync, no enrichment, limits, logs or acknowledgement) in the same
// run, and reports telemd's ratio to it and to C's telemprobd figure of issue 14.
import { type BenchCase, type BenchEnv, metric, type Outcome, skip, type TempKind } from '../harness/case.ts';
import { C_INTAKE_RPS, INTAKE_TARGET_RPS } from '../harness/c-figures.ts';
import { pollUntil } from '../harness/poll.ts';
import { refusedUrl } from '../harness/refused-url.ts';
import { Senders } from '../harness/senders.ts';
import { warmUp } from '../harness/warm-up.ts';
import { countSpooled, msBetween, Telemd, TOOLS } from '../harness/telemd.ts';

export function intakeRecords(env: BenchEnv, kind: TempKind): number {
  if (env.quick) return 200;
  // fsync per record on a disk is orders slower; keep the run bounded in time
  return kind === 'tmpfs' ? 10_000 : 3_000;
}

interface IntakeRun {
  readonly spooledRps: number | null;
  readonly sendRps: number;
  readonly peakMiB: number | null;
  readonly notes: string[];
}

async function intakeOnce(
  env: BenchEnv,
  kind: TempKind,
  senderCount: number,
  daemon: { readonly main: string; readonly nodeArgs: readonly string[] },
): Promise<IntakeRun | Outcome> {
  const total = intakeRecords(env, kind);
  await using telemd = Telemd.start({ ...daemon, root: env.freshDir(kind), server: await refusedUrl() });
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
  const held = telemd.memoryBreakdown();
  const notes: string[] = [];
  if (sent.retries > 0) notes.push(`sender retries ${sent.retries} ${JSON.stringify(sent.errors)}`);
  if (warm.sent > 1)
    notes.push(`${warm.sent - 1} warm-up record(s) right after start-up never reached the spool`);
  if (sent.failed > 0) notes.push(`${sent.failed} records failed to send`);
  if (doneAt === null) {
    notes.push(
      `only ${countSpooled(telemd.spoolDir) - baseline}/${total} spooled within ${env.caseTimeoutMs} ms`,
    );
  }
  if (held !== null && memory !== null) {
    // What holds the memory after the burst: anonymous pages are the V8 heaps (main thread and
    // the spool writer thread's isolate), socket and record buffers and malloc arenas; file
    // pages are the node binary's code that ran (shared with every node process on the host).
    notes.push(
      `memory after the burst: peak ${memory.peakMiB.toFixed(0)} MiB, now ${memory.rssMiB.toFixed(0)} MiB = ` +
        `anon ${held.anonMiB.toFixed(0)} + file ${held.fileMiB.toFixed(0)} (node binary), ${held.threads} threads`,
    );
  }
  if (!telemd.alive) return skip(telemd.exitDescription());
  return {
    spooledRps: doneAt === null ? null : total / (msBetween(sent.startNs, doneAt) / 1000),
    sendRps: sent.sent / (msBetween(sent.startNs, sent.endNs) / 1000),
    peakMiB: memory?.peakMiB ?? null,
    notes,
  };
}

async function runIntake(env: BenchEnv, kind: TempKind, senderCount: number): Promise<Outcome> {
  if (env.unavailable.telemd !== null) return skip(env.unavailable.telemd);
  const ours = await intakeOnce(env, kind, senderCount, {
    main: env.daemonMain,
    nodeArgs: env.daemonNodeArgs,
  });
  if ('kind' in ours) return ours;
  const reference = await intakeOnce(env, kind, senderCount, { main: TOOLS.reference, nodeArgs: [] });
  const metrics = [metric('send_rps', 'rec/s', ours.sendRps)];
  const notes = [...ours.notes];
  if (ours.spooledRps !== null) {
    metrics.unshift(metric('spooled_rps', 'rec/s', ours.spooledRps));
    // C's figure was taken on tmpfs: a ratio on a disk would compare fsyncs with none.
    if (kind === 'tmpfs') metrics.push(metric('vs_c', 'x', ours.spooledRps / C_INTAKE_RPS));
  }
  if ('kind' in reference)
    notes.push(`reference daemon: ${reference.kind === 'skip' ? reference.reason : 'failed'}`);
  else if (reference.spooledRps !== null) {
    metrics.push(metric('ref_spooled_rps', 'rec/s', reference.spooledRps));
    if (ours.spooledRps !== null) metrics.push(metric('vs_ref', 'x', ours.spooledRps / reference.spooledRps));
    if (reference.peakMiB !== null) metrics.push(metric('ref_peak_rss', 'MiB', reference.peakMiB));
  }
  if (ours.peakMiB !== null) metrics.push(metric('peak_rss', 'MiB', ours.peakMiB));
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
                  c: '11.6k',
                  ...(senders === 2 ? { target: `>= ${INTAKE_TARGET_RPS}` } : {}),
                },
                ...(senders === 2 ? { peak_rss: { target: '<= 80 MiB' } } : {}),
              }
            : {},
        run: (env) => runIntake(env, kind, senders),
      });
    }
  }
  return cases;
}
