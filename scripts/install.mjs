#!/usr/bin/env node
// Lays out the BUILT application (run `npm run build` first; this script
// builds nothing) for a systemd machine, like `make install DESTDIR=...`:
//
//   <prefix>/lib/telemetrics/   each workspace package's package.json + dist/,
//                               the production dependencies copied from this
//                               checkout's node_modules (exactly the versions of
//                               package-lock.json that the tests ran against; no
//                               registry access, no lifecycle scripts), and
//                               INSTALL_MANIFEST (what --uninstall removes)
//   <prefix>/bin/<tool>         `#!/bin/sh` + `exec <node> <main.js> "$@"`
//   units, tmpfiles.d, sysusers.d, sysctl.d, system.conf.d drop-in, the default
//   telemetrics.conf, and the man pages of man/.
//
// The layout mirrors the repository (packages/<dir>, node_modules/@telemetrics/
// <name> -> ../../packages/<dir>), so module resolution is the one tested.
// First: an older node must reach the version message before anything else runs.
import './check-node.mjs';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

// Real path: dependency directories are compared after realpath().
const REPO = fs.realpathSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));
const MANIFEST_NAME = 'INSTALL_MANIFEST';
const MIN_NODE_MAJOR = 24;
// The kernel truncates core_pattern at CORENAME_MAX_SIZE (128) bytes.
const CORE_PATTERN_MAX = 127;

const HELP = `Usage: node scripts/install.mjs [OPTIONS]

Install the built telemetrics tree (run "npm run build" first) into DESTDIR.

Options:
  --destdir DIR        staging root prepended to every path (default: none)
  --prefix DIR         installation prefix (default: /usr)
  --sysconfdir DIR     where telemetrics/opt-in lives (default: /etc)
  --localstatedir DIR  spool, state and log root (default: /var)
  --bindir DIR         launchers (default: PREFIX/bin)
  --libdir DIR         PREFIX/lib; the application goes to LIBDIR/telemetrics
  --datadir DIR        PREFIX/share; defaults go to DATADIR/defaults/telemetrics
  --mandir DIR         man pages (default: DATADIR/man)
  --unitdir DIR        systemd units (default: LIBDIR/systemd/system)
  --tmpfilesdir DIR    (default: LIBDIR/tmpfiles.d)
  --sysusersdir DIR    (default: LIBDIR/sysusers.d)
  --sysctldir DIR      (default: LIBDIR/sysctl.d)
  --systemconfdir DIR  system.conf drop-ins (default: LIBDIR/systemd/system.conf.d)
  --node PATH          Node.js >= ${MIN_NODE_MAJOR} that launchers and units exec
                       (default: /usr/bin/node)
  --uninstall          remove exactly what an install with the same
                       --destdir/--prefix/--libdir laid out (INSTALL_MANIFEST)
  -h, --help           show this text

Example:
  npm run build
  sudo node scripts/install.mjs --prefix /usr --node /usr/bin/node
  sudo node scripts/install.mjs --prefix /usr --uninstall
`;

// Templates: source under systemd/ -> destination directory option.
const TEMPLATES = [
  ['system/telemd.socket.in', 'unitdir'],
  ['system/telemd.path.in', 'unitdir'],
  ['system/telemd.service.in', 'unitdir'],
  ['system/hprobe.service.in', 'unitdir'],
  ['system/hprobe.timer.in', 'unitdir'],
  // The server half; installed, never enabled (only the machine that receives records runs it).
  ['system/telemetrics-collector.service.in', 'unitdir'],
  ['tmpfiles.d/telemetrics-dirs.conf.in', 'tmpfilesdir'],
  ['sysusers.d/telemetrics.conf.in', 'sysusersdir'],
  ['sysctl.d/40-crash-probe.conf.in', 'sysctldir'],
  ['system.conf.d/40-core-ulimit.conf', 'systemconfdir'],
];

class UsageError extends Error {}

function warn(message) {
  process.stderr.write(`install: warning: ${message}\n`);
}

function parseOptions(argv) {
  const str = { type: 'string' };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      options: {
        destdir: str,
        prefix: str,
        sysconfdir: str,
        localstatedir: str,
        bindir: str,
        libdir: str,
        datadir: str,
        mandir: str,
        unitdir: str,
        tmpfilesdir: str,
        sysusersdir: str,
        sysctldir: str,
        systemconfdir: str,
        node: str,
        uninstall: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const v = parsed.values;
  if (v.help) return { help: true };
  const abs = (name, value) => {
    if (!path.isAbsolute(value)) throw new UsageError(`--${name} must be an absolute path: ${value}`);
    // These paths are written into unit files (where %, $, \ and quotes are
    // specifiers or syntax and whitespace splits arguments) and sh launchers.
    if (/[\s%$\\"';`]/.test(value)) {
      throw new UsageError(`--${name} must not contain whitespace, quotes, %, $, \\, ; or \`: ${value}`);
    }
    return path.normalize(value);
  };
  const prefix = abs('prefix', v.prefix ?? '/usr');
  const libdir = abs('libdir', v.libdir ?? path.join(prefix, 'lib'));
  const datadir = abs('datadir', v.datadir ?? path.join(prefix, 'share'));
  const dirs = {
    prefix,
    libdir,
    datadir,
    sysconfdir: abs('sysconfdir', v.sysconfdir ?? '/etc'),
    localstatedir: abs('localstatedir', v.localstatedir ?? '/var'),
    bindir: abs('bindir', v.bindir ?? path.join(prefix, 'bin')),
    mandir: abs('mandir', v.mandir ?? path.join(datadir, 'man')),
    unitdir: abs('unitdir', v.unitdir ?? path.join(libdir, 'systemd/system')),
    tmpfilesdir: abs('tmpfilesdir', v.tmpfilesdir ?? path.join(libdir, 'tmpfiles.d')),
    sysusersdir: abs('sysusersdir', v.sysusersdir ?? path.join(libdir, 'sysusers.d')),
    sysctldir: abs('sysctldir', v.sysctldir ?? path.join(libdir, 'sysctl.d')),
    systemconfdir: abs('systemconfdir', v.systemconfdir ?? path.join(libdir, 'systemd/system.conf.d')),
    pkglibdir: path.join(libdir, 'telemetrics'),
  };
  const destdir = v.destdir ? path.resolve(v.destdir) : '';
  return {
    help: false,
    uninstall: v.uninstall === true,
    destdir,
    dirs,
    node: abs('node', v.node ?? '/usr/bin/node'),
  };
}

// Records every file, symlink and directory this run creates, by its final
// path (without DESTDIR), so that --uninstall removes exactly those.
class Manifest {
  entries = new Map();
  constructor(destdir) {
    this.destdir = destdir;
  }
  staged(p) {
    return this.destdir ? path.join(this.destdir, p) : p;
  }
  mkdir(dir) {
    const missing = [];
    for (let d = dir; d !== path.dirname(d) && !fs.existsSync(this.staged(d)); d = path.dirname(d))
      missing.push(d);
    for (const d of missing.reverse()) {
      fs.mkdirSync(this.staged(d), { mode: 0o755 });
      this.entries.set(d, 'd');
    }
  }
  write(file, content, mode) {
    this.mkdir(path.dirname(file));
    const staged = this.staged(file);
    fs.rmSync(staged, { force: true });
    fs.writeFileSync(staged, content, { mode });
    fs.chmodSync(staged, mode);
    this.entries.set(file, 'f');
  }
  copy(src, file) {
    const exec = (fs.statSync(src).mode & 0o111) !== 0;
    this.write(file, fs.readFileSync(src), exec ? 0o755 : 0o644);
  }
  symlink(target, link) {
    this.mkdir(path.dirname(link));
    fs.rmSync(this.staged(link), { force: true });
    fs.symlinkSync(target, this.staged(link));
    this.entries.set(link, 'l');
  }
  render() {
    return [...this.entries]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([p, kind]) => `${kind} ${p}\n`)
      .join('');
  }
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

// What of a built package ships: runtime files only, and the tools' source maps (with
// NODE_OPTIONS=--enable-source-maps a stack trace then names the TypeScript line; off by default,
// as it costs ~10 ms at every start).
function shipsFromDist(name) {
  if (name.endsWith('.mjs.map')) return true;
  return !/\.map$|\.tsbuildinfo$|\.d\.[cm]?ts$|\.test\.|\.fuzz\./.test(name) && !name.startsWith('.');
}

// What of a runtime dependency ships: everything but its source maps and type declarations,
// which nothing reads at run time (OpenTelemetry's packages carry three of each per module).
function shipsFromDependency(name) {
  return !/\.map$|\.d\.[cm]?ts$/.test(name);
}

function copyTree(manifest, srcDir, destDir, keep, skipTopDir = null) {
  for (const entry of fs
    .readdirSync(srcDir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const src = path.join(srcDir, entry.name);
    if (entry.isDirectory() && entry.name === skipTopDir) continue;
    if (entry.isDirectory()) copyTree(manifest, src, path.join(destDir, entry.name), keep);
    else if (entry.isFile() && keep(entry.name)) manifest.copy(src, path.join(destDir, entry.name));
    else if (entry.isSymbolicLink()) manifest.symlink(fs.readlinkSync(src), path.join(destDir, entry.name));
  }
}

function workspacePackages() {
  const root = path.join(REPO, 'packages');
  return fs
    .readdirSync(root)
    .sort()
    .filter((dir) => fs.existsSync(path.join(root, dir, 'package.json')))
    .map((dir) => {
      const realDir = path.join(root, dir);
      return { dir, realDir, json: readJson(path.join(realDir, 'package.json')) };
    });
}

// Node's lookup, from a package's real directory up to the repository root.
function resolvePackageDir(fromDir, name) {
  for (let d = fromDir; d.startsWith(REPO); d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
    if (d === REPO) break;
  }
  return null;
}

// The production dependency closure of the workspace packages, as real
// directories inside this checkout (workspace packages themselves excluded).
function productionDependencies(packages) {
  const workspaceDirs = new Set(packages.map((p) => p.realDir));
  const found = new Set();
  const queue = packages.map((p) => ({ dir: p.realDir, json: p.json }));
  while (queue.length > 0) {
    const { dir, json } = queue.shift();
    const required = Object.keys(json.dependencies ?? {});
    const optional = [
      ...Object.keys(json.optionalDependencies ?? {}),
      ...Object.keys(json.peerDependencies ?? {}),
    ];
    for (const name of [...required, ...optional]) {
      const depDir = resolvePackageDir(dir, name);
      if (depDir === null) {
        if (required.includes(name)) {
          throw new Error(`dependency ${name} of ${json.name} is not installed; run "npm install" first`);
        }
        continue;
      }
      if (workspaceDirs.has(depDir) || found.has(depDir)) continue;
      if (!depDir.startsWith(REPO + path.sep))
        throw new Error(`dependency ${name} resolves outside the checkout`);
      found.add(depDir);
      queue.push({ dir: depDir, json: readJson(path.join(depDir, 'package.json')) });
    }
  }
  return [...found].sort();
}

function shellQuote(s) {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Node flags a tool runs with, from its package.json ("telemetrics": { "nodeFlags": [...] }). */
function nodeFlags(json) {
  const flags = json.telemetrics?.nodeFlags ?? [];
  for (const f of flags)
    if (!/^--[a-z0-9-]+(=[A-Za-z0-9._-]+)?$/.test(f)) throw new Error(`bad node flag ${f}`);
  return flags;
}

function renderTemplate(text, subst) {
  return text.replace(/@([A-Z]+)@/g, (whole, key) => {
    const value = subst[key];
    if (value === undefined) throw new Error(`unknown placeholder ${whole}`);
    return value;
  });
}

function checkNode(node) {
  if (!fs.existsSync(node)) {
    warn(
      `${node} does not exist on this machine; the target must provide Node.js >= ${MIN_NODE_MAJOR} there`,
    );
    return;
  }
  const r = spawnSync(node, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const major = Number(/^v(\d+)\./.exec(r.stdout ?? '')?.[1]);
  if (!(major >= MIN_NODE_MAJOR)) {
    warn(
      `${node} is ${(r.stdout ?? '').trim() || 'not runnable'}; telemetrics needs Node.js >= ${MIN_NODE_MAJOR} (--node)`,
    );
  }
}

function uninstall(destdir, dirs, { quiet = false } = {}) {
  const staged = (p) => (destdir ? path.join(destdir, p) : p);
  const manifestPath = path.join(dirs.pkglibdir, MANIFEST_NAME);
  if (!fs.existsSync(staged(manifestPath))) {
    if (quiet) return 0;
    throw new Error(`nothing to uninstall: ${staged(manifestPath)} does not exist`);
  }
  const entries = fs
    .readFileSync(staged(manifestPath), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => ({ kind: line.slice(0, 1), p: line.slice(2) }));
  let removed = 0;
  for (const { kind, p } of entries) {
    if (kind === 'd' || p === manifestPath) continue;
    fs.rmSync(staged(p), { force: true });
    removed += 1;
  }
  fs.rmSync(staged(manifestPath), { force: true });
  // Deepest first; a directory someone else put files into stays.
  const madeDirs = entries.filter((e) => e.kind === 'd').map((e) => e.p);
  for (const d of madeDirs.sort((a, b) => b.length - a.length)) {
    try {
      fs.rmdirSync(staged(d));
    } catch (err) {
      if (err.code === 'ENOTEMPTY') warn(`kept ${staged(d)}: not empty`);
      else if (err.code !== 'ENOENT') throw err;
    }
  }
  if (!quiet) process.stdout.write(`removed ${removed} files and links installed under ${destdir || '/'}\n`);
  return removed;
}

function install(destdir, dirs, node) {
  const packages = workspacePackages();
  const unbuilt = packages.filter((p) => !fs.existsSync(path.join(p.realDir, 'dist')));
  if (unbuilt.length > 0) {
    throw new Error(`not built: ${unbuilt.map((p) => p.dir).join(', ')}; run "npm run build" first`);
  }
  checkNode(node);
  // A reinstall starts from a clean slate, so files dropped since the last
  // install do not linger.
  uninstall(destdir, dirs, { quiet: true });

  if (destdir) fs.mkdirSync(destdir, { recursive: true });
  const m = new Manifest(destdir);
  m.mkdir(dirs.pkglibdir);
  for (const p of packages) {
    const dest = path.join(dirs.pkglibdir, 'packages', p.dir);
    m.copy(path.join(p.realDir, 'package.json'), path.join(dest, 'package.json'));
    copyTree(m, path.join(p.realDir, 'dist'), path.join(dest, 'dist'), shipsFromDist);
    const link = path.join(dirs.pkglibdir, 'node_modules', p.json.name);
    m.symlink(path.relative(path.dirname(link), dest), link);
  }
  for (const depDir of productionDependencies(packages)) {
    // A nested node_modules is not copied wholesale: the dependencies in it
    // that the closure needs are in the list on their own (bundled ones too,
    // as they resolve there).
    copyTree(
      m,
      depDir,
      path.join(dirs.pkglibdir, path.relative(REPO, depDir)),
      shipsFromDependency,
      'node_modules',
    );
  }

  for (const p of packages) {
    for (const [name, rel] of Object.entries(p.json.bin ?? {})) {
      const script = path.join(dirs.pkglibdir, 'packages', p.dir, rel);
      if (!fs.existsSync(m.staged(script))) {
        warn(`no launcher for ${name}: ${path.join('packages', p.dir, rel)} was not built`);
        continue;
      }
      const launcher =
        `#!/bin/sh\n# ${name}: installed by telemetrics scripts/install.mjs. exec keeps the PID, so\n` +
        `# a socket handed over by systemd (LISTEN_PID) still belongs to node.\n` +
        `exec ${[node, ...nodeFlags(p.json), script].map(shellQuote).join(' ')} "$@"\n`;
      m.write(path.join(dirs.bindir, name), launcher, 0o755);
    }
  }

  const subst = {
    BINDIR: dirs.bindir,
    PKGLIBDIR: dirs.pkglibdir,
    NODE: node,
    TELEMDFLAGS: nodeFlags(packages.find((p) => p.json.name === '@telemetrics/telemd')?.json ?? {}).join(' '),
    SYSCONFDIR: dirs.sysconfdir,
    LOCALSTATEDIR: dirs.localstatedir,
  };
  for (const [src, dirKey] of TEMPLATES) {
    const text = renderTemplate(fs.readFileSync(path.join(REPO, 'systemd', src), 'utf8'), subst);
    m.write(path.join(dirs[dirKey], path.basename(src).replace(/\.in$/, '')), text, 0o644);
  }
  const corePattern = `|${dirs.bindir}/crashprobe -p %e -E %E -s %s`;
  if (corePattern.length > CORE_PATTERN_MAX) {
    warn(
      `kernel.core_pattern is ${corePattern.length} bytes; the kernel keeps ${CORE_PATTERN_MAX} (shorter --bindir)`,
    );
  }

  const defaults = path.join(REPO, 'etc', 'telemetrics.conf');
  if (fs.existsSync(defaults)) {
    m.copy(defaults, path.join(dirs.datadir, 'defaults', 'telemetrics', 'telemetrics.conf'));
  } else {
    warn('etc/telemetrics.conf does not exist yet; no default configuration installed');
  }

  // Man pages: written as roff in man/ (telemetrics.conf.5 generated by scripts/gen-docs.mjs).
  for (const page of fs.readdirSync(path.join(REPO, 'man')).sort()) {
    const section = /\.([1-8])$/.exec(page)?.[1];
    if (section) m.copy(path.join(REPO, 'man', page), path.join(dirs.mandir, `man${section}`, page));
  }

  const manifestPath = path.join(dirs.pkglibdir, MANIFEST_NAME);
  m.entries.set(manifestPath, 'f');
  fs.writeFileSync(m.staged(manifestPath), m.render(), { mode: 0o644 });
  const files = [...m.entries.values()].filter((k) => k !== 'd').length;
  process.stdout.write(
    `installed ${files} files and links under ${destdir || '/'} (manifest ${manifestPath})\n`,
  );
  if (!destdir) {
    process.stdout.write(
      'next: systemd-sysusers; systemd-tmpfiles --create; systemctl daemon-reload; sysctl --system;\n' +
        '      systemctl daemon-reexec; telemctl opt-in; telemctl start\n' +
        'the collector, on the machine that receives records: systemctl enable --now telemetrics-collector\n',
    );
  }
}

function main(argv) {
  let opts;
  try {
    opts = parseOptions(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`install: ${err.message}\nTry "node scripts/install.mjs --help".\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(HELP);
    return 0;
  }
  try {
    if (opts.uninstall) uninstall(opts.destdir, opts.dirs);
    else install(opts.destdir, opts.dirs, opts.node);
    return 0;
  } catch (err) {
    process.stderr.write(`install: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
