// scripts/install.mjs end to end: lays the built tree into a temp DESTDIR,
// checks it with systemd's own tools (systemd-analyze verify/security,
// systemd-sysusers, systemd-tmpfiles) and runs the installed launchers,
// including telemd under systemd-socket-activate the way telemd.socket
// starts it. Needs `npm run build` first, like every e2e test.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { decodeFrame } from '@telemetrics/libtelemetry/wire';
import { startCollector } from '../helpers/collector.ts';
import { lacks } from '../helpers/need.ts';
import { listenForFrames } from '../helpers/frame-listener.ts';
import { deadline, makeTelemdWorkdir, sendFrame } from '../helpers/telemd-workdir.ts';
import { readVector } from '../helpers/vectors.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const INSTALL = path.join(REPO, 'scripts', 'install.mjs');
const NODE = process.execPath;
const CLIENT_UNITS = ['telemd.socket', 'telemd.path', 'telemd.service', 'hprobe.service', 'hprobe.timer'];
const UNITS = [...CLIENT_UNITS, 'telemetrics-collector.service'];
const MAX_EXPOSURE = 2.5;
const DEV_ONLY = ['typescript', 'turbo', 'fast-check', '@biomejs', '@types', 'esbuild', '@esbuild'];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'telem-'));
// DESTDIR install for /usr, as a distribution package would be built.
const destdir = path.join(tmp, 'dest');
// The same templates installed into a real prefix under tmp, so that every
// path the units and launchers name exists and can be run (systemd-analyze
// verify checks ExecStart binaries; systemd-analyze --root cannot reach a
// node binary outside the root).
const live = path.join(tmp, 'live');
const liveDirs = {
  prefix: path.join(live, 'usr'),
  sysconfdir: path.join(live, 'etc'),
  localstatedir: path.join(live, 'var'),
};
const bindir = path.join(liveDirs.prefix, 'bin');
const unitdir = path.join(liveDirs.prefix, 'lib', 'systemd', 'system');
const mandir = path.join(liveDirs.prefix, 'share', 'man');

function runInstall(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(NODE, [INSTALL, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function has(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

function walk(root: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    const p = path.join(root, entry.name);
    out.push(p);
    if (entry.isDirectory()) out.push(...walk(p));
  }
  return out;
}

function bins(): { name: string; built: boolean }[] {
  const out: { name: string; built: boolean }[] = [];
  for (const dir of fs.readdirSync(path.join(REPO, 'packages')).sort()) {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'packages', dir, 'package.json'), 'utf8')) as {
      bin?: Record<string, string>;
    };
    for (const [name, rel] of Object.entries(pkg.bin ?? {})) {
      out.push({ name, built: fs.existsSync(path.join(REPO, 'packages', dir, rel)) });
    }
  }
  return out;
}

function exposure(unitFile: string): number {
  const r = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', unitFile], {
    encoding: 'utf8',
    cwd: path.dirname(unitFile),
  });
  const m = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(r.stdout);
  assert.ok(m, `no exposure level in:\n${r.stdout}\n${r.stderr}`);
  return Number(m[1]);
}

before(() => {
  const a = runInstall(['--destdir', destdir, '--prefix', '/usr', '--node', NODE]);
  assert.equal(a.status, 0, a.stderr);
  const b = runInstall([
    '--prefix',
    liveDirs.prefix,
    '--sysconfdir',
    liveDirs.sysconfdir,
    '--localstatedir',
    liveDirs.localstatedir,
    '--node',
    NODE,
  ]);
  assert.equal(b.status, 0, b.stderr);
});

after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('the DESTDIR tree has a launcher per built bin, the units and no development dependency', () => {
  for (const { name, built } of bins()) {
    const launcher = path.join(destdir, 'usr', 'bin', name);
    if (!built) {
      assert.equal(fs.existsSync(launcher), false, `${name} has a launcher but no built script`);
      continue;
    }
    assert.equal(fs.statSync(launcher).mode & 0o777, 0o755);
    const text = fs.readFileSync(launcher, 'utf8');
    assert.match(text, /^#!\/bin\/sh\n/);
    // exec, so that the PID (LISTEN_PID) stays node's.
    assert.match(
      text,
      new RegExp(
        `\\nexec '${NODE}'( '--[a-z0-9-]+(=[^']+)?')* '/usr/lib/telemetrics/packages/[a-z-]+/dist/[^']+\\.mjs' "\\$@"\\n$`,
      ),
    );
  }
  // telemd runs with its package's node flags (a small young generation: peak RSS) however it is started.
  assert.match(
    fs.readFileSync(path.join(destdir, 'usr', 'bin', 'telemd'), 'utf8'),
    new RegExp(
      `\\nexec '${NODE}' '--max-semi-space-size=2' '/usr/lib/telemetrics/packages/telemd/dist/telemd\\.mjs'`,
    ),
  );
  for (const unit of UNITS) {
    const text = fs.readFileSync(path.join(destdir, 'usr/lib/systemd/system', unit), 'utf8');
    assert.doesNotMatch(text, /@[A-Z]+@/, `${unit} has an unrendered placeholder`);
    // The client's units run only after opt-in; the collector is the server.
    if (CLIENT_UNITS.includes(unit))
      assert.match(text, /^ConditionPathExists=\/etc\/telemetrics\/opt-in$/m, unit);
  }
  const collectorUnit = fs.readFileSync(
    path.join(destdir, 'usr/lib/systemd/system/telemetrics-collector.service'),
    'utf8',
  );
  assert.match(
    collectorUnit,
    new RegExp(
      `^ExecStart=${NODE} /usr/lib/telemetrics/packages/collector/dist/telemetrics-collector\\.mjs \\$TELEMETRICS_COLLECTOR_OPTS$`,
      'm',
    ),
  );
  assert.match(collectorUnit, /^EnvironmentFile=-\/etc\/telemetrics\/collector\.env$/m);
  assert.match(collectorUnit, /^DynamicUser=yes$/m);
  assert.match(collectorUnit, /^StateDirectory=telemetrics-collector$/m);
  // Installed, not enabled: nothing links it into a .wants directory.
  assert.deepEqual(
    walk(destdir).filter((p) => /\.wants\//.test(p)),
    [],
  );
  const service = fs.readFileSync(path.join(destdir, 'usr/lib/systemd/system/telemd.service'), 'utf8');
  assert.match(
    service,
    new RegExp(
      `^ExecStart=${NODE} --max-semi-space-size=2 /usr/lib/telemetrics/packages/telemd/dist/telemd\\.mjs$`,
      'm',
    ),
  );
  assert.match(service, /^User=telemetry$/m);
  assert.match(
    service,
    /^ReadWritePaths=\/var\/spool\/telemetry -\/var\/spool\/telemetry-crash \/var\/lib\/telemetry \/var\/log\/telemetry$/m,
  );
  const socket = fs.readFileSync(path.join(destdir, 'usr/lib/systemd/system/telemd.socket'), 'utf8');
  assert.match(socket, /^ListenStream=\/run\/telem-0$/m);
  assert.match(socket, /^SocketMode=0666$/m);
  const sysctl = fs.readFileSync(path.join(destdir, 'usr/lib/sysctl.d/40-crash-probe.conf'), 'utf8');
  assert.match(sysctl, /^kernel\.core_pattern = \|\/usr\/bin\/crashprobe -p %e -E %E -s %s$/m);
  const ulimit = fs.readFileSync(
    path.join(destdir, 'usr/lib/systemd/system.conf.d/40-core-ulimit.conf'),
    'utf8',
  );
  assert.match(ulimit, /^\[Manager\]\nDefaultLimitCORE=infinity$/m);
  const tmpfiles = fs.readFileSync(path.join(destdir, 'usr/lib/tmpfiles.d/telemetrics-dirs.conf'), 'utf8');
  assert.match(tmpfiles, /^d \/var\/spool\/telemetry 0750 telemetry telemetry -$/m);

  const defaults = path.join(REPO, 'etc/telemetrics.conf');
  const installedDefaults = path.join(destdir, 'usr/share/defaults/telemetrics/telemetrics.conf');
  if (fs.existsSync(defaults))
    assert.equal(fs.readFileSync(installedDefaults, 'utf8'), fs.readFileSync(defaults, 'utf8'));
  else assert.equal(fs.existsSync(installedDefaults), false);

  const modules = path.join(destdir, 'usr/lib/telemetrics/node_modules');
  for (const name of DEV_ONLY) assert.equal(fs.existsSync(path.join(modules, name)), false, name);
  assert.equal(fs.readlinkSync(path.join(modules, '@telemetrics/telemd')), '../../packages/telemd');
  const shipped = walk(path.join(destdir, 'usr/lib/telemetrics/packages'));
  assert.deepEqual(
    shipped.filter((p) => /(?<!\.mjs)\.map$|\.tsbuildinfo$|\.d\.ts$|\.test\./.test(p)),
    [],
  );
  // the bundles' source maps ship (stack traces with --enable-source-maps)
  assert.ok(shipped.some((p) => p.endsWith('/telemd/dist/telemd.mjs.map')));
});

test('the installed launchers resolve their imports from the production layout', () => {
  for (const { name, built } of bins()) {
    if (!built) continue;
    const r = spawnSync(path.join(bindir, name), ['--help'], { encoding: 'utf8', timeout: 20_000 });
    assert.doesNotMatch(
      r.stderr,
      /ERR_MODULE_NOT_FOUND|Cannot find (module|package)/,
      `${name}: ${r.stderr}`,
    );
    assert.notEqual(r.status, null, `${name} did not exit`);
    // Every tool gets its man page from man/ (written as roff, not rendered from --help).
    const pages = ['1', '8']
      .map((sec) => path.join(mandir, `man${sec}`, `${name}.${sec}`))
      .filter(fs.existsSync);
    assert.equal(pages.length, 1, `${name}: no man page`);
    assert.match(fs.readFileSync(pages[0]!, 'utf8'), new RegExp(`^\\.TH ${name.toUpperCase()} [18] `, 'm'));
  }
});

test('the manifest lists exactly what install laid out, and --uninstall removes exactly that', () => {
  const root = path.join(tmp, 'roundtrip');
  const foreign = path.join(root, 'usr', 'bin', 'other-tool');
  fs.mkdirSync(path.dirname(foreign), { recursive: true });
  fs.writeFileSync(foreign, '#!/bin/sh\n');
  const before = new Set(walk(root));

  const first = runInstall(['--destdir', root, '--node', NODE]);
  assert.equal(first.status, 0, first.stderr);
  // A second install over the first replaces it, file for file.
  const second = runInstall(['--destdir', root, '--node', NODE]);
  assert.equal(second.status, 0, second.stderr);

  const manifest = fs
    .readFileSync(path.join(root, 'usr/lib/telemetrics/INSTALL_MANIFEST'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => path.join(root, line.slice(2)));
  const added = walk(root).filter((p) => !before.has(p));
  assert.deepEqual([...manifest].sort(), [...added].sort());

  const removal = runInstall(['--destdir', root, '--uninstall']);
  assert.equal(removal.status, 0, removal.stderr);
  assert.deepEqual(new Set(walk(root)), before);
  const again = runInstall(['--destdir', root, '--uninstall']);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /nothing to uninstall/);
});

test('usage errors exit 2 with a hint', () => {
  const r = runInstall(['--prefix', 'relative/path']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /must be an absolute path.*\nTry/);
  assert.equal(runInstall(['--bogus']).status, 2);
  // Written into ExecStart= and sh launchers: a space would split it, % is a unit specifier.
  const spaced = runInstall(['--prefix', '/opt/my dir']);
  assert.equal(spaced.status, 2);
  assert.match(spaced.stderr, /must not contain whitespace/);
  assert.equal(runInstall(['--node', '/opt/node%i/bin/node']).status, 2);
});

test('systemd-analyze verify accepts every installed unit without a warning', (t) => {
  if (lacks(t, !has('systemd-analyze') && 'systemd-analyze is not installed (Debian package systemd)'))
    return;
  const pages = (fs.existsSync(mandir) ? walk(mandir) : []).filter((p) => /\.[18]$/.test(p));
  const referenced = UNITS.flatMap((u) =>
    [...fs.readFileSync(path.join(unitdir, u), 'utf8').matchAll(/man:([\w-]+)\((\d)\)/g)].map(
      (m) => `${m[1]}.${m[2]}`,
    ),
  );
  const missing = [...new Set(referenced)].filter((page) => !pages.some((p) => p.endsWith(`/${page}`)));
  const args = ['verify'];
  if (spawnSync('man', ['--version'], { stdio: 'ignore' }).status !== 0) {
    // verify checks Documentation=man: links by running man.
    t.diagnostic('man is not installed: verify runs with --man=no');
    args.push('--man=no');
  } else if (missing.length > 0) {
    // The tools are still stubs without --help, so their man pages were not
    // generated; everything else is verified.
    t.diagnostic(`man pages not generated yet (${missing.join(', ')}): verify runs with --man=no`);
    args.push('--man=no');
  }
  const r = spawnSync('systemd-analyze', [...args, ...UNITS.map((u) => path.join(unitdir, u))], {
    encoding: 'utf8',
    env: { ...process.env, MANPATH: mandir, SYSTEMD_LOG_COLOR: '0' },
  });
  assert.equal(r.stderr, '', 'systemd-analyze verify printed warnings');
  assert.equal(r.status, 0);
});

test(`telemd.service and telemetrics-collector.service exposure is at most ${MAX_EXPOSURE}, far below the C units`, (t) => {
  if (lacks(t, !has('systemd-analyze') && 'systemd-analyze is not installed (Debian package systemd)'))
    return;
  const ours = exposure(path.join(destdir, 'usr/lib/systemd/system/telemd.service'));
  const hprobe = exposure(path.join(destdir, 'usr/lib/systemd/system/hprobe.service'));
  const collector = exposure(path.join(destdir, 'usr/lib/systemd/system/telemetrics-collector.service'));
  // The C units of spec c-client 13.1 (current) and 13.2 (v1 telemd), verbatim.
  const cDir = path.join(tmp, 'c-units');
  fs.mkdirSync(cDir);
  const cUnit = (desc: string, exec: string, also: string) =>
    `[Unit]\nDescription=${desc}\nConditionPathExists=/etc/telemetrics/opt-in\n\n` +
    `[Service]\nExecStart=${exec}\nWorkingDirectory=/var/spool/telemetry\nUser=telemetry\n\n` +
    `[Install]\nAlso=${also}\nWantedBy=multi-user.target\n`;
  fs.writeFileSync(
    path.join(cDir, 'telemprobd.service'),
    cUnit('Telemetrics Daemon', '/usr/bin/telemprobd', 'telemprobd.socket'),
  );
  fs.writeFileSync(
    path.join(cDir, 'telempostd.service'),
    cUnit('Telemetrics Post Daemon', '/usr/bin/telempostd', 'telempostd.path'),
  );
  const cProbd = exposure(path.join(cDir, 'telemprobd.service'));
  const cPostd = exposure(path.join(cDir, 'telempostd.service'));
  t.diagnostic(
    `exposure: telemd.service ${ours}, hprobe.service ${hprobe}, telemetrics-collector.service ${collector}`,
  );
  t.diagnostic(`exposure of the C units: telemprobd.service ${cProbd}, telempostd.service ${cPostd}`);
  assert.ok(ours <= MAX_EXPOSURE, `telemd.service exposure ${ours} > ${MAX_EXPOSURE}`);
  assert.ok(hprobe <= MAX_EXPOSURE, `hprobe.service exposure ${hprobe} > ${MAX_EXPOSURE}`);
  assert.ok(
    collector <= MAX_EXPOSURE,
    `telemetrics-collector.service exposure ${collector} > ${MAX_EXPOSURE}`,
  );
  assert.ok(ours < cProbd && ours < cPostd);
});

test('systemd-sysusers and systemd-tmpfiles create the user and the directories with C owners and modes', (t) => {
  if (lacks(t, (!has('systemd-sysusers') || !has('systemd-tmpfiles')) && 'systemd-sysusers/tmpfiles missing'))
    return;
  if (lacks(t, process.getuid?.() !== 0 && 'chown in the --root tree needs root')) return;
  const root = path.join(tmp, 'sysroot');
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  const sysusers = spawnSync(
    'systemd-sysusers',
    [`--root=${root}`, path.join(destdir, 'usr/lib/sysusers.d/telemetrics.conf')],
    { encoding: 'utf8' },
  );
  assert.equal(sysusers.status, 0, sysusers.stderr);
  const passwd = fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8');
  const entry = /^telemetry:x:(\d+):(\d+):[^:]*:\/var\/lib\/telemetry:[^:]*nologin$/m.exec(passwd);
  assert.ok(entry, passwd);
  const tmpfiles = spawnSync(
    'systemd-tmpfiles',
    [`--root=${root}`, '--create', path.join(destdir, 'usr/lib/tmpfiles.d/telemetrics-dirs.conf')],
    { encoding: 'utf8' },
  );
  assert.equal(tmpfiles.status, 0, tmpfiles.stderr);
  const expected: [string, number][] = [
    ['var/lib/telemetry', 0o755],
    ['var/spool/telemetry', 0o750],
    ['var/spool/telemetry-crash', 0o3733],
    ['var/log/telemetry', 0o750],
    ['var/log/telemetry/records', 0o750],
  ];
  for (const [dir, mode] of expected) {
    const st = fs.statSync(path.join(root, dir));
    assert.equal(st.mode & 0o7777, mode, dir);
    assert.equal(st.uid, Number(entry[1]), dir);
    assert.equal(st.gid, Number(entry[2]), dir);
  }
});

test('the installed crashprobe runs as the core_pattern program line (empty environment, cwd /)', () => {
  const sysctl = fs.readFileSync(path.join(liveDirs.prefix, 'lib/sysctl.d/40-crash-probe.conf'), 'utf8');
  const pattern = /^kernel\.core_pattern = \|(.*)$/m.exec(sysctl)?.[1];
  assert.ok(pattern);
  // The kernel splits the pattern at spaces and expands the % specifiers.
  const argv = pattern
    .split(' ')
    .map((a) => a.replace('%e', 'crashme').replace('%E', '!opt!crashdemo!crashme').replace('%s', '11'));
  assert.deepEqual(argv, [
    path.join(bindir, 'crashprobe'),
    '-p',
    'crashme',
    '-E',
    '!opt!crashdemo!crashme',
    '-s',
    '11',
  ]);
  assert.ok(pattern.length < 128, 'the kernel truncates core_pattern at 128 bytes');
  // The kernel's usermode helper starts it with no environment at all: the
  // launcher must not depend on PATH to find node.
  const help = spawnSync(argv[0]!, ['--help'], { encoding: 'utf8', env: {}, cwd: '/', timeout: 20_000 });
  assert.doesNotMatch(help.stderr, /not found|ERR_MODULE_NOT_FOUND/);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /crashprobe/);
});

// --- the installed tools at work ------------------------------------------

test("hprobe.service's command line, run from the installed tree, sends the C heartbeat", async () => {
  const unit = fs.readFileSync(path.join(unitdir, 'hprobe.service'), 'utf8');
  const execStart = /^ExecStart=(.*)$/m.exec(unit)?.[1];
  assert.equal(execStart, `${path.join(bindir, 'hprobe')} -Hlu`);
  const [program, ...args] = execStart.split(' ');
  const work = fs.mkdtempSync(path.join(tmp, 'hprobe-'));
  const optIn = path.join(work, 'opt-in');
  fs.writeFileSync(optIn, '');
  const conf = path.join(work, 'telemetrics.conf');
  const socketPath = path.join(work, 'telem-0');
  fs.writeFileSync(conf, `[settings]\nsocket_path=${socketPath}\nopt_in_file=${optIn}\n`);
  await using listener = await listenForFrames(socketPath);
  // The unit runs it with a minimal environment; -f points it at the test socket.
  const child = spawn(program!, [...args, '-f', conf], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { LANG: 'C.UTF-8' },
  });
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  assert.equal(listener.connections.length, 1);
  const decoded = decodeFrame(await listener.connections[0]!);
  assert.ok(decoded.ok);
  assert.equal(decoded.value.headers.classification, 'org.clearlinux/heartbeat/ping');
  assert.match(Buffer.from(decoded.value.payload).toString('utf8'), /^hello\nLC_ALL: .*\nuptime: \d+\n$/);
});

// systemd-socket-activate listens, waits for the first connection, then
// execs the program with LISTEN_PID (its own PID) and LISTEN_FDS=1: what
// telemd.socket does, minus systemd.
async function activate(
  socketPath: string,
  conf: string,
): Promise<{ child: ChildProcess; log: () => string }> {
  let stderr = '';
  const child = spawn(
    'systemd-socket-activate',
    ['-l', socketPath, path.join(bindir, 'telemd'), '-f', conf],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  child.stderr?.setEncoding('utf8');
  const listening = new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (s: string) => {
      stderr += s;
      if (stderr.includes('Listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`systemd-socket-activate exited ${code}: ${stderr}`)));
  });
  await deadline(listening, 20_000, 'systemd-socket-activate listening');
  // Nothing has started telemd yet: only a connection does.
  assert.doesNotMatch(stderr, /Execing/);
  return { child, log: () => stderr };
}

test('telemd from the installed tree: socket-activated, delivers, exits when idle, activates again', async (t) => {
  if (
    lacks(
      t,
      !has('systemd-socket-activate') && 'systemd-socket-activate is not installed (Debian package systemd)',
    )
  )
    return;
  await using collector = await startCollector();
  const { conf, socketPath } = makeTelemdWorkdir(
    fs.mkdtempSync(path.join(tmp, 'activation-')),
    collector.v2Url,
  );
  const frame = readVector('socket/v2.3.5-heartbeat.bin');

  for (const round of [1, 2]) {
    const { child, log } = await activate(socketPath, conf);
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    });
    const exited = once(child, 'exit');
    await sendFrame(socketPath, frame);
    const records = await collector.waitForRecords(round, { timeoutMs: 60_000 }).catch((err: Error) => {
      throw new Error(`round ${round}: ${err.message}\n${log()}`);
    });
    assert.equal(records[round - 1]!.classification, 'org.clearlinux/heartbeat/ping');
    assert.match(records[round - 1]!.payload, /^hello\n/);
    const [code, signal] = await deadline(
      exited,
      120_000,
      `round ${round}: telemd exits when idle\n${log()}`,
    );
    assert.equal(signal, null, log());
    assert.equal(code, 0, log());
  }
});
