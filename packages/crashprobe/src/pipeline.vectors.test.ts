// The C crashprobe's payloads (test/vectors/crash/payloads) reproduced from
// the same cores and binaries. The capture machine's libc build is compared
// byte for byte only when this machine has the same libc (build id below);
// otherwise the program's own frames are compared and libc must be untrusted.
import assert from 'node:assert/strict';
import {
  closeSync,
  createReadStream,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { readVector, vectorPath } from '../../../test/helpers/vectors.ts';
import { bytesSource, ElfImage } from './elf/image.ts';
import { analyzeStream, type PipelineOptions } from './pipeline.ts';

const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';
const CAPTURE_LIBC_BUILD_ID = '93ac61ec5a8eb1396f9fbd350e3169a558528a40';
const DEBUG_ROOT = '/usr/lib/debug';

function machineLibcMatches(): boolean {
  try {
    const img = ElfImage.open(bytesSource(readFileSync(LIBC)));
    return img.ok && img.value.buildId() === CAPTURE_LIBC_BUILD_ID;
  } catch {
    return false;
  }
}

function libcDebugPresent(): boolean {
  try {
    readFileSync(
      path.join(
        DEBUG_ROOT,
        '.build-id',
        CAPTURE_LIBC_BUILD_ID.slice(0, 2),
        `${CAPTURE_LIBC_BUILD_ID.slice(2)}.debug`,
      ),
    );
    return true;
  } catch {
    return false;
  }
}

let dir = '';
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'telem-'));
  for (const n of ['crashme-g', 'crashme-O2', 'crashme-strip', 'crashme-mt']) {
    writeFileSync(path.join(dir, `${n}.core`), gunzipSync(readVector(`crash/cores/${n}.core.gz`)));
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(
  name: string,
  extra: Partial<PipelineOptions['files']> = {},
  cls = 'org.clearlinux/crash/clr',
): Promise<string> {
  const out = await analyzeStream(createReadStream(path.join(dir, `${name}.core`)), {
    processName: name,
    processPath: `!usr!bin!${name}`,
    signal: 11,
    deadlineMs: performance.now() + 60_000,
    files: {
      pathMap: new Map([[`/usr/bin/${name}`, vectorPath(`crash/bin/${name}`)], ...(extra.pathMap ?? [])]),
      debugRoots: extra.debugRoots ?? [DEBUG_ROOT],
    },
  });
  assert.ok(out.ok, out.ok ? '' : `${out.section}: ${out.detail}`);
  assert.equal(out.report.cls.classification, cls, out.report.payload);
  return out.report.payload;
}

const ownLines = (payload: string, name: string): string[] =>
  payload.split('\n').filter((l) => !l.startsWith('#') || l.includes(`[/usr/bin/${name}]`));

const sameLibc = machineLibcMatches();
const withDbg = sameLibc && libcDebugPresent();

describe('crash vectors', () => {
  for (const name of ['crashme-g', 'crashme-O2', 'crashme-strip', 'crashme-mt']) {
    it(`${name}: the payload equals C's (${withDbg ? 'byte for byte' : "the program's frames"})`, async () => {
      const expected = readVector(`crash/payloads/v2.4.3-${name}.payload.txt`).toString('latin1');
      const got = await run(name);
      if (withDbg) assert.equal(got, expected);
      else assert.deepEqual(ownLines(got, name), ownLines(expected, name));
    });
  }

  for (const name of ['crashme-g', 'crashme-mt']) {
    it(`${name}: without libc debug files it equals C's nolibcdbg payload`, async (t) => {
      if (!sameLibc) return t.skip('this machine has another libc build than the capture machine');
      const expected = readVector(`crash/payloads/v2.4.3-${name}-nolibcdbg.payload.txt`).toString('latin1');
      assert.equal(await run(name, { debugRoots: [] }), expected);
    });
  }

  it('a libc whose build id differs from the core is not trusted: its frames are ??? - [libc.so.6]', async () => {
    // Point the core's libc path at another ELF file: same effect as a libc upgraded after the crash.
    // Without libc's CFI the unwinder falls back to the frame pointer, which glibc's start code does not
    // keep: like C, that ends in an unwind error, sent as crash/error with the partial backtrace.
    const payload = await run(
      'crashme-g',
      { pathMap: new Map([[LIBC, vectorPath('crash/bin/crashme-O2')]]) },
      'org.clearlinux/crash/error',
    );
    assert.match(
      payload,
      /^Signal: 11\nError: Error while iterating through frames for thread 31839: .+\n\nBacktrace/m,
    );
    const libcFrames = payload.split('\n').filter((l) => l.includes('[libc.so.6]'));
    assert.ok(libcFrames.length >= 1, payload);
    for (const l of libcFrames) assert.match(l, /^#\d+ \?\?\? - \[libc\.so\.6\]$/);
    const expected = readVector('crash/payloads/v2.4.3-crashme-g.payload.txt').toString('latin1');
    // The program's frames above libc are unaffected.
    const frames = (p: string): string[] =>
      p.split('\n').filter((l) => l.includes('[/usr/bin/crashme-g]') && !l.includes('_start'));
    assert.deepEqual(frames(payload), frames(expected));
  });

  it('a core read by descriptor (positional reads, as -c does) gives the same payload as the stream', async () => {
    const fd = openSync(path.join(dir, 'crashme-mt.core'), 'r');
    try {
      const byFd = await analyzeStream(
        { fd },
        {
          processName: 'crashme-mt',
          processPath: '!usr!bin!crashme-mt',
          signal: 11,
          deadlineMs: performance.now() + 60_000,
          files: {
            pathMap: new Map([['/usr/bin/crashme-mt', vectorPath('crash/bin/crashme-mt')]]),
            debugRoots: [DEBUG_ROOT],
          },
        },
      );
      assert.ok(byFd.ok);
      assert.equal(byFd.report.payload, await run('crashme-mt'));
    } finally {
      closeSync(fd);
    }
  });

  it('v2.3.5 and v2.4.3 payloads are identical, so one reproduction covers both', () => {
    assert.deepEqual(
      readVector('crash/payloads/v2.3.5-crashme-g.payload.txt'),
      readVector('crash/payloads/v2.4.3-crashme-g.payload.txt'),
    );
  });
});
