// Real crashes of programs compiled here, compared with gdb frame by frame.
// Each program crashes for real; the kernel writes the core when
// core_pattern names a plain file (else gdb's generate-core-file makes it).
// For every thread (matched by TID/LWP) the program's own frames must have the
// same names in the same order as `gdb -batch -ex 'thread apply all bt'`
// prints them, and no frame gdb can name may be `???` in ours (libc frames:
// gdb names them from DWARF, we from the symbol table as C does, so only
// their presence is compared). Skipped, with the reason, without gcc or gdb.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  openSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzeStream } from '../../packages/crashprobe/src/pipeline.ts';
import { skipOutsideCI } from '../helpers/need.ts';

const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skipReason =
  !have('gcc') || !have('g++') ? 'gcc/g++ not installed' : !have('gdb') ? 'gdb not installed' : undefined;

let dir = '';
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'telem-'));
  chmodSync(dir, 0o755);
});
after(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

interface Case {
  readonly name: string;
  readonly source: string;
  readonly cxx?: boolean;
  readonly flags: readonly string[];
  readonly strip?: boolean;
  /** The program's own functions as gdb prints them (C++ demangled without parameters). */
  readonly own: readonly string[];
  readonly lib?: { readonly source: string; readonly flags: readonly string[] };
  readonly truncated?: boolean;
  /** Make the core with gdb's generate-core-file (notes after the memory, unlike the kernel). */
  readonly gcore?: boolean;
}

const CHAIN = `
#include <stdio.h>
#include <stdlib.h>
struct item { int *len; };
__attribute__((noinline)) int item_length(struct item *it) { return *it->len; }
__attribute__((noinline)) int process_list(struct item *it, int depth) {
  if (depth > 0) return process_list(it, depth - 1) + 1;
  return item_length(it);
}
__attribute__((noinline)) int run_job(int n) { struct item it = { 0 }; return process_list(&it, n); }
int main(int argc, char **argv) { (void)argv; return run_job(argc + 1); }
`;

const THREADS = `
#include <pthread.h>
#include <unistd.h>
#include <stdatomic.h>
static atomic_int ready;
__attribute__((noinline)) void idle_loop(void) { atomic_fetch_add(&ready, 1); for (;;) pause(); }
__attribute__((noinline)) static void *idler(void *a) { idle_loop(); return a; }
__attribute__((noinline)) void worker_step(int *p) { *p = 42; }
__attribute__((noinline)) static void *worker(void *a) { while (atomic_load(&ready) < 3) usleep(1000); usleep(20000); worker_step(0); return a; }
int main(void) {
  pthread_t t[4];
  for (int i = 0; i < 3; i++) pthread_create(&t[i], 0, idler, 0);
  pthread_create(&t[3], 0, worker, 0);
  pthread_join(t[3], 0);
  return 0;
}
`;

const CXX = `
#include <cstdio>
namespace telem { namespace demo {
template <typename T> struct Box {
  T *value;
  __attribute__((noinline)) T get() const { return *value; }
};
template <typename T> __attribute__((noinline)) T unbox(const Box<T> &b) { return b.get() + 1; }
class Runner { public: __attribute__((noinline)) int run(int n); };
int Runner::run(int n) { Box<int> b{nullptr}; return unbox(b) + n; }
} }
int main(int argc, char **) { telem::demo::Runner r; return r.run(argc); }
`;

const DEEP = `
__attribute__((noinline)) int deep(volatile int *p, int n) { if (n == 0) return *p; return deep(p, n - 1) + 1; }
int main(void) { return deep(0, 100); }
`;

const SIGNAL = `
#include <signal.h>
#include <string.h>
__attribute__((noinline)) void in_handler(int sig) { volatile int *p = 0; *p = sig; }
__attribute__((noinline)) void handler(int sig) { in_handler(sig); }
int main(void) {
  struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_handler = handler;
  sigaction(SIGUSR1, &sa, 0);
  raise(SIGUSR1);
  return 0;
}
`;

const ABORT = `
#include <stdlib.h>
__attribute__((noinline)) void give_up(int n) { if (n > 0) abort(); }
int main(int argc, char **argv) { (void)argv; give_up(argc); return 0; }
`;

const LIB = `
__attribute__((noinline)) int lib_inner(int *p) { return *p; }
int lib_entry(int *p) { return lib_inner(p) + 1; }
`;
const USES_LIB = `
int lib_entry(int *p);
__attribute__((noinline)) int call_lib(void) { return lib_entry(0); }
int main(void) { return call_lib(); }
`;

// Three threads spend nearly all their time inside the vDSO (clock_gettime's
// fast path), which is no file: it must be read from the core, as libdwfl does.
const VDSO = `
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <stdatomic.h>
static atomic_int ready;
__attribute__((noinline)) void spin_clock(void) {
  struct timespec ts; atomic_fetch_add(&ready, 1);
  for (;;) clock_gettime(CLOCK_MONOTONIC, &ts);
}
__attribute__((noinline)) static void *spinner(void *a) { spin_clock(); return a; }
__attribute__((noinline)) void fault_now(volatile int *p) { *p = 1; }
int main(void) {
  pthread_t t[3];
  for (int i = 0; i < 3; i++) pthread_create(&t[i], 0, spinner, 0);
  while (atomic_load(&ready) < 3) usleep(1000);
  usleep(20000);
  fault_now(0);
  return 0;
}
`;

const CHAIN_OWN = ['item_length', 'process_list', 'run_job', 'main'];

const CASES: Case[] = [
  { name: 'c-O0-g', source: CHAIN, flags: ['-O0', '-g'], own: CHAIN_OWN },
  { name: 'c-O2', source: CHAIN, flags: ['-O2'], own: CHAIN_OWN },
  { name: 'c-O0-g-gcore', source: CHAIN, flags: ['-O0', '-g'], own: CHAIN_OWN, gcore: true },
  { name: 'c-O2-omit-fp', source: CHAIN, flags: ['-O2', '-fomit-frame-pointer'], own: CHAIN_OWN },
  { name: 'c-stripped', source: CHAIN, flags: ['-O2'], strip: true, own: [] },
  { name: 'c-no-pie', source: CHAIN, flags: ['-O0', '-g', '-no-pie', '-fno-pie'], own: CHAIN_OWN },
  { name: 'c-static', source: CHAIN, flags: ['-O0', '-g', '-static'], own: CHAIN_OWN },
  {
    name: 'c-4-threads',
    source: THREADS,
    flags: ['-O0', '-g', '-pthread'],
    own: ['idle_loop', 'idler', 'worker_step', 'worker', 'main'],
  },
  {
    name: 'cxx-templates',
    source: CXX,
    cxx: true,
    flags: ['-O0', '-g'],
    own: ['telem::demo::Box<int>::get', 'telem::demo::unbox<int>', 'telem::demo::Runner::run', 'main'],
  },
  { name: 'c-recursion-100', source: DEEP, flags: ['-O0', '-g'], own: ['deep', 'main'], truncated: true },
  {
    name: 'c-signal-handler',
    source: SIGNAL,
    flags: ['-O0', '-g'],
    own: ['in_handler', 'handler', '__restore_rt', 'main'],
  },
  {
    name: 'c-vdso-threads',
    source: VDSO,
    flags: ['-O0', '-g', '-pthread'],
    own: ['spin_clock', 'spinner', 'fault_now', 'main'],
  },
  { name: 'c-abort', source: ABORT, flags: ['-O0', '-g'], own: ['give_up', 'main'] },
  {
    name: 'c-shared-lib',
    source: USES_LIB,
    flags: ['-O0', '-g'],
    own: ['lib_inner', 'lib_entry', 'call_lib', 'main'],
    lib: { source: LIB, flags: ['-O0', '-g', '-fPIC', '-shared'] },
  },
];

function kernelWritesCoreHere(): boolean {
  try {
    const pattern = readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim();
    return pattern === 'core' || pattern === 'core.%p';
  } catch {
    return false;
  }
}

function build(c: Case): string {
  const cdir = path.join(dir, c.name);
  execFileSync('mkdir', ['-p', cdir]);
  chmodSync(cdir, 0o755);
  const src = path.join(cdir, c.cxx === true ? 'prog.cc' : 'prog.c');
  writeFileSync(src, c.source);
  const exe = path.join(cdir, 'prog');
  const extra: string[] = [];
  if (c.lib !== undefined) {
    const lsrc = path.join(cdir, 'libcrash.c');
    writeFileSync(lsrc, c.lib.source);
    execFileSync('gcc', [...c.lib.flags, '-o', path.join(cdir, 'libcrash.so'), lsrc]);
    extra.push(`-L${cdir}`, '-lcrash', `-Wl,-rpath,${cdir}`);
  }
  execFileSync(c.cxx === true ? 'g++' : 'gcc', [...c.flags, '-o', exe, src, ...extra]);
  if (c.strip === true) execFileSync('strip', ['--strip-all', exe]);
  return exe;
}

function makeCore(exe: string, gcore: boolean): string {
  const cdir = path.dirname(exe);
  if (!gcore && kernelWritesCoreHere()) {
    spawnSync('sh', ['-c', 'ulimit -c unlimited && exec ./prog'], { cwd: cdir });
    const core = readdirSync(cdir).find((f) => f === 'core' || f.startsWith('core.'));
    if (core !== undefined) return path.join(cdir, core);
  }
  const core = path.join(cdir, 'core.gdb');
  spawnSync('gdb', ['-nx', '-batch', '-ex', 'run', '-ex', `generate-core-file ${core}`, exe], { cwd: cdir });
  assert.ok(existsSync(core), 'no core from the kernel or gdb');
  return core;
}

/** LWP -> function names, from gdb's `thread apply all bt`. */
function gdbThreads(exe: string, core: string): Map<number, string[]> {
  const out = execFileSync(
    'gdb',
    ['-nx', '-batch', '-ex', 'set debuginfod enabled off', '-ex', 'thread apply all bt', exe, core],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const threads = new Map<number, string[]>();
  let current: string[] | undefined;
  for (const line of out.split('\n')) {
    const t = /^Thread \d+ \(.*LWP (\d+)\)/.exec(line);
    if (t !== null) {
      current = [];
      threads.set(Number(t[1]), current);
      continue;
    }
    if (current === undefined) continue;
    if (/^#\d+\s+<signal handler called>/.test(line)) current.push('__restore_rt');
    else {
      const f = /^#\d+\s+(?:0x[0-9a-f]+ in )?(.+?) \(/.exec(line);
      if (f?.[1] !== undefined) current.push(f[1]);
    }
  }
  return threads;
}

interface OurThread {
  readonly tid: number;
  readonly frames: Array<{ name: string; module: string }>;
}

function ourThreads(payload: string): OurThread[] {
  const out: OurThread[] = [];
  for (const line of payload.split('\n')) {
    const b = /^Backtrace \(TID (\d+)\):$/.exec(line);
    if (b !== null) out.push({ tid: Number(b[1]), frames: [] });
    const f = /^#\d+ (.+?)(?:\(\))? - \[(.*)\]/.exec(line);
    if (f !== null) out[out.length - 1]?.frames.push({ name: f[1] ?? '', module: f[2] ?? '' });
  }
  // C++ names are printed mangled (the backend demangles): demangle like gdb, without parameters.
  const mangled = out.flatMap((t) => t.frames.filter((f) => f.name.startsWith('_Z')));
  if (mangled.length > 0) {
    const names = execFileSync('c++filt', ['-p'], {
      input: mangled.map((f) => f.name).join('\n'),
      encoding: 'utf8',
    }).split('\n');
    mangled.forEach((f, i) => {
      f.name = names[i] ?? f.name;
    });
  }
  return out;
}

describe('crashprobe against gdb on real crashes', { skip: skipOutsideCI(skipReason) }, () => {
  for (const c of CASES) {
    it(`${c.name}: every thread's own frames match gdb's`, async (t) => {
      const exe = build(c);
      const core = makeCore(exe, c.gcore === true);
      // By descriptor, as main does with -c: positional reads, notes wherever they are.
      const fd = openSync(core, 'r');
      t.after(() => closeSync(fd));
      const res = await analyzeStream(
        { fd },
        {
          processName: 'prog',
          processPath: exe,
          signal: undefined,
          deadlineMs: performance.now() + 60_000,
          files: { debugRoots: ['/usr/lib/debug'] },
        },
      );
      assert.ok(res.ok, res.ok ? '' : `${res.section}: ${res.detail}`);
      const payload = res.report.payload;
      assert.equal(res.report.cls.classification, 'org.clearlinux/crash/clr', payload);
      const ours = ourThreads(payload);
      const theirs = gdbThreads(exe, core);
      if (c.truncated === true) {
        assert.match(payload, /\nToo many frames\. Backtrace truncated\.\n/);
        assert.equal(ours[0]?.frames.length, 64);
      } else {
        assert.deepEqual(new Set(ours.map((t) => t.tid)), new Set(theirs.keys()), payload);
      }
      const own = new Set(c.own);
      for (const t of ours) {
        const g = theirs.get(t.tid);
        assert.ok(g !== undefined, `gdb has no LWP ${t.tid}`);
        if (c.strip === true) {
          const q = t.frames.filter((f) => f.name === '???').length;
          assert.equal(q, g.filter((n) => n === '??').length, payload);
          continue;
        }
        const mine = t.frames.map((f) => f.name).filter((n) => own.has(n));
        const gdbOwn = g.filter((n) => own.has(n)).slice(0, c.truncated === true ? mine.length : undefined);
        assert.deepEqual(mine, gdbOwn, `TID ${t.tid}\n${payload}\ngdb: ${g.join(', ')}`);
        assert.ok(mine.length > 0, payload);
        // Where gdb names a frame, ours is never ???.
        assert.ok(!t.frames.some((f) => f.name === '???'), payload);
      }
      // The crashing thread comes first: its first own frame is where the program faulted.
      if (c.name === 'c-4-threads')
        assert.equal(ours[0]?.frames.find((f) => own.has(f.name))?.name, 'worker_step');
    });
  }
});
