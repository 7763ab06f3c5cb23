// crashprobe time and peak RSS with the core on a pipe: the four vector cores
// and a >= 1 GiB core of a program that touched 1 GiB of heap. Each case runs
// several times, interleaved; prints median and spread and appends JSON lines
// to bench-results.jsonl. Peak RSS comes from GNU time (%M), wall time from
// the runner. Usage (after npm run build): node packages/crashprobe/bench/pipe.bench.mjs [runs]
// Lives here until the shared bench/ workspace exists (see the README).
import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const MAIN = path.join(repo, 'packages/crashprobe/dist/crashprobe.mjs');
const runs = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(path.join(os.tmpdir(), 'telem-'));
chmodSync(dir, 0o755);

// No daemon (the send fails after the analysis, which is what is measured) and no privacy filter.
const conf = path.join(dir, 'bench.conf');
writeFileSync(conf, `[settings]\nsocket_path=${dir}/no-socket\nprivacy_filters_override_file=${conf}\n`);
chmodSync(conf, 0o644);
const cases = [];
for (const n of ['crashme-g', 'crashme-O2', 'crashme-strip', 'crashme-mt']) {
  const core = path.join(dir, `${n}.core`);
  writeFileSync(core, gunzipSync(readFileSync(path.join(repo, `test/vectors/crash/cores/${n}.core.gz`))));
  cases.push({
    name: n,
    core,
    args: [
      '-f',
      conf,
      '-p',
      n,
      '-E',
      `/usr/bin/${n}`,
      '-s',
      '11',
      '--map-path',
      `/usr/bin/${n}=${path.join(repo, 'test/vectors/crash/bin', n)}`,
    ],
  });
}

function bigCore() {
  const src = path.join(dir, 'big.c');
  writeFileSync(
    src,
    '#include <stdlib.h>\n#include <string.h>\n__attribute__((noinline)) void boom(char *p) { volatile int *q = 0; *q = p[5]; }\nint main(void) { size_t n = (size_t)1 << 30; char *p = malloc(n); memset(p, 7, n); boom(p); return 0; }\n',
  );
  const exe = path.join(dir, 'big');
  execFileSync('gcc', ['-O0', '-g', '-o', exe, src]);
  if (readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim() === 'core') {
    spawnSync('sh', ['-c', 'ulimit -c unlimited && exec ./big'], { cwd: dir });
    const f = readdirSync(dir).find((x) => x === 'core' || x.startsWith('core.'));
    if (f !== undefined) return { exe, core: path.join(dir, f) };
  }
  const core = path.join(dir, 'big.gdbcore');
  spawnSync('gdb', ['-nx', '-batch', '-ex', 'run', '-ex', `generate-core-file ${core}`, exe], { cwd: dir });
  return existsSync(core) ? { exe, core } : undefined;
}
const big = bigCore();
if (big !== undefined)
  cases.push({ name: '1GiB-heap', core: big.core, args: ['-f', conf, '-p', 'big', '-E', big.exe] });

function once(c) {
  const start = process.hrtime.bigint();
  const r = spawnSync(
    'sh',
    [
      '-c',
      `/usr/bin/time -f %M ${process.execPath} ${MAIN} "$@" < "${c.core}" > /dev/null 2> "${dir}/err"; tail -n 1 "${dir}/err"`,
      'sh',
      ...c.args,
    ],
    {
      encoding: 'utf8',
    },
  );
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { ms, rssKb: Number(r.stdout.trim()) };
}

const results = new Map(cases.map((c) => [c.name, []]));
for (let i = 0; i < runs; i++) for (const c of cases) results.get(c.name).push(once(c));
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let commit = '';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
} catch {}
for (const c of cases) {
  const r = results.get(c.name);
  const ms = r.map((x) => x.ms);
  const rss = r.map((x) => x.rssKb);
  const size = readFileSync(c.core).length;
  const line = {
    bench: 'crashprobe-pipe',
    case: c.name,
    coreBytes: size,
    runs,
    wallMsMedian: Math.round(median(ms)),
    wallMsMin: Math.round(Math.min(...ms)),
    wallMsMax: Math.round(Math.max(...ms)),
    peakRssKbMedian: median(rss),
    peakRssKbMax: Math.max(...rss),
    node: process.version,
    commit,
    cpu: os.cpus()[0]?.model,
  };
  console.log(
    `${c.name.padEnd(14)} core ${(size / 1048576).toFixed(1).padStart(7)} MiB  wall ${line.wallMsMedian} ms (${line.wallMsMin}..${line.wallMsMax})  peak RSS ${(line.peakRssKbMedian / 1024).toFixed(1)} MiB (max ${(line.peakRssKbMax / 1024).toFixed(1)})`,
  );
  appendFileSync(path.join(here, 'bench-results.jsonl'), `${JSON.stringify(line)}\n`);
}
rmSync(dir, { recursive: true, force: true });
