// crashprobe as the kernel runs it: the built binary, the core on a pipe,
// C's argv, a config pointing at a socket in a temp dir. When run as root
// (as here in CI) it drops to `telemetry` or `nobody`, so the temp dir, the
// socket and the files it reads are made world-accessible.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { decodeFrame } from '@telemetrics/libtelemetry/wire';
import { parseElfHeader } from '../../packages/crashprobe/src/elf/header.ts';
import { PT_LOAD, parseProgramHeaders } from '../../packages/crashprobe/src/elf/segments.ts';
import { type FrameListener, listenForFrames } from '../helpers/frame-listener.ts';
import { type BinResult, runBin } from '../helpers/run-bin.ts';
import { CRASHME_G_ARGS, readVector } from '../helpers/vectors.ts';

const MAIN = fileURLToPath(new URL('../../packages/crashprobe/dist/crashprobe.mjs', import.meta.url));

let dir = '';
let core = new Uint8Array(0);
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'telem-'));
  chmodSync(dir, 0o755);
  core = gunzipSync(readVector('crash/cores/crashme-g.core.gz'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, optIn: boolean): string {
  const conf = path.join(dir, `${name}.conf`);
  const optInFile = path.join(dir, `${name}.opt-in`);
  if (optIn) writeFileSync(optInFile, '');
  writeFileSync(
    conf,
    `[settings]\nsocket_path=${path.join(dir, `${name}.sock`)}\nopt_in_file=${optInFile}\nprivacy_filters_override_file=${path.join(dir, 'no-such-override')}\n`,
  );
  chmodSync(conf, 0o644);
  return conf;
}

function crashprobe(args: string[], stdin: Uint8Array | undefined): Promise<BinResult> {
  return runBin(MAIN, args, stdin === undefined ? {} : { input: stdin });
}

/** Writes the bytes and keeps stdin open, like a kernel that stops sending the core. */
async function crashprobeStalled(args: string[], prefix: Uint8Array): Promise<BinResult> {
  const child = spawn(process.execPath, [MAIN, ...args]);
  child.stdin.on('error', () => {});
  child.stdin.write(prefix);
  const [out, err, [code]] = await Promise.all([
    child.stdout.toArray(),
    child.stderr.toArray(),
    once(child, 'close') as Promise<[number | null]>,
  ]);
  child.stdin.destroy();
  return { code, stdout: Buffer.concat(out).toString('latin1'), stderr: Buffer.concat(err).toString('utf8') };
}

/** The shared stand-in for telemd, its socket opened to the user crashprobe drops to. */
async function listen(sock: string): Promise<FrameListener & { frame: () => Promise<Buffer> }> {
  const listener = await listenForFrames(sock);
  chmodSync(sock, 0o777);
  const frame = async (): Promise<Buffer> => {
    const first = listener.connections[0];
    assert.ok(first !== undefined, 'crashprobe never connected');
    return first;
  };
  return Object.assign(listener, { frame });
}

const ARGV = CRASHME_G_ARGS;

describe('crashprobe binary', () => {
  it('core on a pipe, -v, no daemon: prints the payload and fails the send with exit 1', async () => {
    const r = await crashprobe(['-f', config('nosock', true), '-v', ...ARGV], core);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(
      r.stdout.startsWith(
        'Process: /usr/bin/crashme-g\nPID: 31839\nSignal: 11\n\nBacktrace (TID 31839):\n#0 item_length() - [/usr/bin/crashme-g] - /usr/src/crashdemo/crashme.c:44\n',
      ),
      r.stdout,
    );
    assert.match(r.stderr, /^<3>cannot send the crash record: .* code=TELEM_SOCKET_NOT_FOUND/m);
    // As root without a `telemetry` user, crashprobe says it fell back to nobody.
    if (process.geteuid?.() === 0 && !/^telemetry:/m.test(readFileSync('/etc/passwd', 'utf8'))) {
      assert.match(r.stderr, /^<4>user telemetry does not exist; running as nobody code=CRASH_PRIVILEGES$/m);
    }
  });

  it('sends org.clearlinux/crash/clr, severity 3, with the payload, to the socket', async () => {
    const conf = config('ok', true);
    await using l = await listen(path.join(dir, 'ok.sock'));
    {
      const r = await crashprobe(['-f', conf, ...ARGV], core);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '');
      const d = decodeFrame(await l.frame());
      assert.ok(d.ok, d.ok ? '' : d.detail);
      assert.equal(d.value.headers.classification, 'org.clearlinux/crash/clr');
      assert.equal(d.value.headers.severity, '3');
      assert.equal(d.value.headers.payload_format_version, '1');
      const payload = Buffer.from(d.value.payload).toString('latin1');
      assert.ok(
        payload.includes('#5 main() - [/usr/bin/crashme-g] - /usr/src/crashdemo/crashme.c:66\n'),
        payload,
      );
    }
  });

  it('as root, -c reads a 0600 root-owned core (opened before dropping privileges)', async (t) => {
    if (process.geteuid?.() !== 0) return t.skip('the privilege drop happens only as root');
    // Where the kernel and systemd-coredump leave cores: root's, mode 0600.
    const coreFile = path.join(dir, 'root-only.core');
    writeFileSync(coreFile, core, { mode: 0o600 });
    chmodSync(coreFile, 0o600);
    const r = await crashprobe(['-f', config('corefile', true), '-v', '-c', coreFile, ...ARGV], undefined);
    assert.doesNotMatch(r.stderr, /cannot open the core file/);
    assert.ok(r.stdout.includes('#0 item_length() - [/usr/bin/crashme-g]'), `${r.stdout}\n${r.stderr}`);
  });

  it('a third-party path is sent as crash/unknown without reading the core', async () => {
    const conf = config('third', true);
    await using l = await listen(path.join(dir, 'third.sock'));
    {
      const r = await crashprobe(
        ['-f', conf, '-p', 'crashme', '-E', '!usr!local!bin!crashme', '-s', '11'],
        new Uint8Array(0),
      );
      assert.equal(r.code, 0, r.stderr);
      const d = decodeFrame(await l.frame());
      assert.ok(d.ok);
      assert.equal(d.value.headers.classification, 'org.clearlinux/crash/unknown');
      assert.equal(d.value.headers.severity, '2');
      assert.deepEqual(
        Buffer.from(d.value.payload),
        readVector('crash/payloads/v2.4.3-third-party.payload.txt'),
      );
    }
  });

  it('a truncated core on the pipe is a clean exit 1 with a typed error', async () => {
    const r = await crashprobe(['-f', config('trunc', true), ...ARGV], core.subarray(0, 100));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot read the core: .* code=CRASH_/);
  });

  it('a core that stops arriving: after --time-budget it sends what it has, with a note', async () => {
    // Headers and notes only, and the pipe stays open: the kernel side hanging.
    const h = parseElfHeader(core);
    assert.ok(h.ok);
    const ph = parseProgramHeaders(h.value, core);
    assert.ok(ph.ok);
    const firstLoad = Math.min(...ph.value.filter((p) => p.type === PT_LOAD).map((p) => p.offset));
    const r = await crashprobeStalled(
      ['-f', config('slow', true), '-v', '--time-budget', '1', ...ARGV],
      core.subarray(0, firstLoad),
    );
    // The pipe never closes: after sending, crashprobe ends itself with SIGTERM (a blocked read cannot be abandoned).
    assert.equal(r.code, null, r.stderr);
    assert.match(
      r.stderr,
      /cannot send the crash record: .*\n<5>core input stalled; terminating without waiting for it code=CRASH_TIME_BUDGET\n/,
    );
    assert.match(
      r.stdout,
      /^Process: \/usr\/bin\/crashme-g\nPID: 31839\nSignal: 11\nTime budget exceeded\. Backtrace truncated\.\n/,
    );
    assert.match(
      r.stdout,
      /\n#0 item_length\(\) - \[\/usr\/bin\/crashme-g\] - \/usr\/src\/crashdemo\/crashme\.c:44\n/,
    );
  });

  it("--help works without a -p and before anything else; missing -p is C's error", async () => {
    const h = await crashprobe(['--help'], undefined);
    assert.equal(h.code, 0);
    assert.ok(h.stdout.startsWith('NAME\n  crashprobe - '));
    const p = await crashprobe([], undefined);
    assert.equal(p.code, 1);
    assert.equal(p.stdout, 'Missing required -p option. See --help output\n');
    const u = await crashprobe(['--bogus'], undefined);
    assert.equal(u.code, 2);
  });
});
