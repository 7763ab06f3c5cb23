// The real thing: crashprobe installed as the kernel's core_pattern pipe
// handler, a program crashing, the record arriving on the socket crashprobe
// sends to (a listener standing in for telemd, which is another package).
// Needs root and a writable /proc/sys/kernel/core_pattern; the old pattern is
// restored in finally and on process exit. Skipped with a printed reason
// otherwise, or when the kernel cannot run a helper from this mount namespace
// (containers): a trivial helper is tried first.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeFrame } from '@telemetrics/libtelemetry/wire';
import { type FrameListener, listenForFrames } from '../helpers/frame-listener.ts';
import { skipOutsideCI } from '../helpers/need.ts';
import { waitUntil } from '../helpers/poll.ts';

const PATTERN = '/proc/sys/kernel/core_pattern';
const MAIN = fileURLToPath(new URL('../../packages/crashprobe/dist/crashprobe.mjs', import.meta.url));

function skipReason(): string | undefined {
  if (process.geteuid?.() !== 0) return 'not root';
  try {
    const old = readFileSync(PATTERN, 'utf8');
    writeFileSync(PATTERN, old);
  } catch {
    return `${PATTERN} is not writable`;
  }
  if (spawnSync('sh', ['-c', 'command -v gcc']).status !== 0) return 'gcc not installed';
  return undefined;
}

describe('crashprobe as the kernel core_pattern handler', { skip: skipOutsideCI(skipReason()) }, () => {
  it('a real crash reaches the socket as org.clearlinux/crash/clr with the crashing frame', async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'telem-'));
    chmodSync(dir, 0o755);
    const old = readFileSync(PATTERN, 'utf8').trim();
    const restore = (): void => writeFileSync(PATTERN, old);
    process.once('exit', restore);
    let listener: FrameListener | undefined;
    try {
      // A program that crashes in a named function.
      const src = path.join(dir, 'k.c');
      writeFileSync(
        src,
        '__attribute__((noinline)) int kernel_probe_fault(int *p) { return *p; }\nint main(void) { return kernel_probe_fault(0); }\n',
      );
      const exe = path.join(dir, 'kcrash');
      execFileSync('gcc', ['-O0', '-g', '-o', exe, src]);

      // 1. Can the kernel run a helper from here at all?
      const marker = path.join(dir, 'helper-ran');
      const probe = path.join(dir, 'p');
      writeFileSync(probe, `#!/bin/sh\ncat > /dev/null\n: > ${marker}\n`, { mode: 0o755 });
      writeFileSync(PATTERN, `|${probe}`);
      spawnSync('sh', ['-c', `ulimit -c unlimited && exec ${exe}`]);
      // Polling with a deadline: the kernel gives no event to await.
      const helperRan = await waitUntil(() => existsSync(marker), 'the helper marker', 5000, 50).then(
        () => true,
        () => false,
      );
      if (!helperRan) {
        t.skip('the kernel could not run a helper from this mount namespace');
        return;
      }

      // 2. crashprobe itself, through a short wrapper (core_pattern is limited to 128 bytes).
      const sock = path.join(dir, 's');
      const optIn = path.join(dir, 'opt-in');
      const override = path.join(dir, 'no-privacy-filters');
      writeFileSync(optIn, '');
      writeFileSync(override, '');
      const conf = path.join(dir, 'c.conf');
      writeFileSync(
        conf,
        `[settings]\nsocket_path=${sock}\nopt_in_file=${optIn}\nprivacy_filters_override_file=${override}\n`,
        { mode: 0o644 },
      );
      const wrapper = path.join(dir, 'h');
      writeFileSync(wrapper, `#!/bin/sh\nexec ${process.execPath} ${MAIN} -f ${conf} "$@" 2>> ${dir}/log\n`, {
        mode: 0o755,
      });
      listener = await listenForFrames(sock);
      chmodSync(sock, 0o777);
      const l = listener;
      writeFileSync(PATTERN, `|${wrapper} -p %e -E %E -s %s`);
      spawnSync('sh', ['-c', `ulimit -c unlimited && exec ${exe}`]);
      await waitUntil(() => l.connections.length > 0, 'crashprobe to connect', 20_000, 50).catch(() => {});
      const frame = l.connections[0] ?? Promise.reject(new Error('no connection'));
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(
          () =>
            reject(
              new Error(
                `no record; helper log:\n${existsSync(`${dir}/log`) ? readFileSync(`${dir}/log`, 'utf8') : ''}`,
              ),
            ),
          20_000,
        ).unref(),
      );
      const d = decodeFrame(await Promise.race([frame, timeout]));
      assert.ok(d.ok);
      assert.equal(d.value.headers.classification, 'org.clearlinux/crash/clr');
      const payload = Buffer.from(d.value.payload).toString('latin1');
      assert.ok(payload.startsWith(`Process: ${exe}\nPID: `), payload);
      assert.match(payload, /\nSignal: 11\n\nBacktrace \(TID \d+\):\n#0 kernel_probe_fault\(\) - \[/);
    } finally {
      restore();
      process.removeListener('exit', restore);
      await listener?.[Symbol.asyncDispose]();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
