#!/usr/bin/env node
// Bundles a tool's entry point into ONE file (a package's build step, after tsc -b):
//
//   node ../../scripts/bundle.mjs src/main.ts dist/telemd.mjs  (run in the package directory)
//
// Why (README, "Start-up and memory"): node resolves, reads, compiles and links every module of
// an ES module graph one by one, about 70 for telemd; one file skips all of that. The Node
// built-ins are taken with process.getBuiltinModule(), not imported: an ES import of a built-in
// builds a facade that reads every export, and getters such as fs.promises or crypto.webcrypto
// load and compile modules telemd never uses (~3 MiB RSS and milliseconds for each).
//
// A dynamic import() becomes a chunk of its own (dist/chunks/), read only when the code runs:
// telemd's delivery stack (undici, ~450 kB) is not even parsed before the first delivery, and the
// daemon's second stage is loaded after its socket listens (telemd/src/main.ts).
//
// Two cuts in undici, which telemd bundles (README, "Start-up and memory"):
// - `esbuildDetection` defined: undici's own switch for bundlers (Node core sets it when it
//   embeds undici) leaves out the experimental Milo parser; llhttp stays the HTTP/1.1 parser.
// - its HTTP/2 client is replaced by a module that throws: telemd never sets allowH2, so ALPN
//   never picks h2, but undici's client.js requires client-h2.js, which requires node:http2 at
//   load, and node:http2 brings tls and crypto: 12 MiB and 20 ms of CPU on the first delivery.
// - its node:http and node:assert are replaced by what undici takes from them: node:http for
//   http.maxHeaderSize (telemd passes maxHeaderSize, so it is never read) and IncomingMessage
//   (only compared with a body's constructor: telemd's bodies are Buffers), node:assert for
//   assert(value). The real modules load 11 more built-ins: 1.8 MiB of RSS for the daemon's life.
//
// Deterministic: the same sources give the same bytes (no timestamps, sorted inputs by esbuild).
// tsc -b stays the type checker and still emits dist/ for the packages' exports and the tests.
// First: an older node must reach the version message before anything else runs.
import './check-node.mjs';
import { readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';

const [entry, outfile, ...rest] = process.argv.slice(2);
if (entry === undefined || outfile === undefined || !outfile.endsWith('.mjs') || rest.length > 0) {
  process.stderr.write('usage: node scripts/bundle.mjs ENTRY.ts OUT.mjs (in the package directory)\n');
  process.exit(2);
}

const BUILTINS = new Set(builtinModules.map((name) => name.replace(/^node:/, '')));

/** `node:fs` (imported or required) -> a module whose exports are process.getBuiltinModule('node:fs'). */
const builtinsWithoutFacade = {
  name: 'builtins-without-facade',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_][a-z0-9_/]*$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (!BUILTINS.has(name) && !args.path.startsWith('node:')) return undefined;
      return { path: name, namespace: 'node-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (args) => ({
      // A missing built-in (undici probes for some) throws as require() would.
      contents:
        `const m = process.getBuiltinModule(${JSON.stringify(`node:${args.path}`)});\n` +
        `if (m === undefined) throw new Error(${JSON.stringify(`no built-in module node:${args.path}`)});\n` +
        // esbuild's import of a CommonJS module (__toESM) copies every own property into a new
        // object, and reading the descriptors of node:util's or node:fs's lazy properties loads
        // the modules behind them (worker_threads, parse_args, util/diff, fs/dir): 4-5 ms at
        // start. An object that inherits from the built-in has no own properties to copy, and
        // `fs.readFileSync` still finds the built-in's. Modules that are functions (events,
        // assert, stream) are callable or constructible and are passed as they are.
        "module.exports = typeof m === 'function' ? m : Object.create(m);\n",
      loader: 'js',
    }));
  },
};

const UNDICI_STUBS = {
  'undici-client-h2':
    'module.exports = function connectH2() {\n' +
    "  throw new Error('HTTP/2 is not built into this bundle (scripts/bundle.mjs); use HTTP/1.1');\n" +
    '};\n',
  // http.maxHeaderSize is node's default; telemd's Pool sets maxHeaderSize, so undici never reads it.
  // No body telemd sends is an IncomingMessage, so a class nothing is made from compares the same.
  'undici-node-http':
    'module.exports = { maxHeaderSize: 16384, IncomingMessage: class IncomingMessage {} };\n',
  'undici-node-assert':
    'module.exports = function assert(value, message) {\n' +
    '  if (value) return;\n' +
    "  const error = new Error(typeof message === 'string' ? message : 'undici: assertion failed');\n" +
    "  error.code = 'ERR_ASSERTION';\n" +
    '  throw error;\n' +
    '};\n',
};

/** undici's HTTP/2 client, node:http and node:assert, cut down: see the top of this file. */
const undiciCuts = {
  name: 'undici-cuts',
  setup(b) {
    const inUndici = (dir) => /[\\/]undici[\\/]lib([\\/]|$)/.test(dir);
    b.onResolve({ filter: /^\.\/client-h2\.js$/ }, (args) =>
      /[\\/]undici[\\/]lib[\\/]dispatcher$/.test(args.resolveDir)
        ? { path: 'undici-client-h2', namespace: 'undici-stub' }
        : undefined,
    );
    b.onResolve({ filter: /^(node:)?(http|assert)$/ }, (args) =>
      inUndici(args.resolveDir)
        ? { path: `undici-node-${args.path.replace(/^node:/, '')}`, namespace: 'undici-stub' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'undici-stub' }, (args) => ({
      contents: UNDICI_STUBS[args.path],
      loader: 'js',
    }));
  },
};

/**
 * The stubs hold only what undici used when they were written: any other use of http or assert
 * in a file that imports them fails the build (a newer undici must be looked at, not guessed at).
 */
function undiciStubMisuse(metafile) {
  // What each stub lacks: http.<anything but maxHeaderSize>, a destructured require of node:http
  // other than { IncomingMessage }, and assert.<anything>.
  const lacks = {
    'undici-stub:undici-node-http':
      /\bhttp\.(?!maxHeaderSize\b)\w+|\{(?!\s*IncomingMessage\s*\})[^}]*\}\s*=\s*require\('node:http'\)/g,
    'undici-stub:undici-node-assert': /\bassert\.\w+/g,
  };
  const misuse = [];
  for (const [input, meta] of Object.entries(metafile.inputs)) {
    // a file that requires a stub twice lists it twice
    for (const stub of new Set(meta.imports.map((imported) => imported.path))) {
      const pattern = lacks[stub];
      if (pattern === undefined) continue;
      for (const match of readFileSync(input, 'utf8').matchAll(pattern)) misuse.push(`${input}: ${match[0]}`);
    }
  }
  return misuse;
}

const outdir = path.dirname(outfile);
const name = path.basename(outfile, '.mjs');
// Chunks are named by content hash: remove the last build's, or they pile up.
rmSync(path.join(outdir, 'chunks', name), { recursive: true, force: true });

// Every output file starts with the Node version check (chunks too: a chunk the entry imports is
// evaluated before the entry's own code), so an older node prints what to do, not a stack trace.
// Node-12-safe syntax. scripts/check-node.mjs is the same check for the unbundled scripts.
const NODE_CHECK =
  'if (Number(process.versions.node.split(".")[0]) !== 24) { process.stderr.write(' +
  JSON.stringify(`${name}: needs Node.js 24 (this is `) +
  ' + process.version + ' +
  JSON.stringify(
    '); run "bash scripts/provision-node.sh" in the telemetrics checkout to provision it, or install Node.js 24\n',
  ) +
  '); process.exit(1); }';

const result = await build({
  banner: { js: NODE_CHECK },
  entryPoints: { [name]: entry },
  outdir,
  outExtension: { '.js': '.mjs' },
  splitting: true,
  chunkNames: `chunks/${name}/[name]-[hash]`,
  define: { esbuildDetection: 'true' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // undiciCuts first: esbuild asks the plugins in this order, and the first answer wins.
  plugins: [undiciCuts, builtinsWithoutFacade],
  // Stack traces in logs name the TypeScript source line when node runs with
  // --enable-source-maps (off by default: it costs ~10 ms at start; README, Start-up and memory).
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'eof',
  logLevel: 'warning',
  metafile: true,
});

// The undici cuts hang on undici's internals (file names, a global it tests, what it takes from
// http and assert): an undici release that changes them must fail the build, not quietly put
// megabytes back or call what a stub lacks.
const inputs = Object.keys(result.metafile.inputs);
if (inputs.some((input) => /undici\/lib\/dispatcher\/client\.js$/.test(input))) {
  const leaks = inputs.filter((input) => /undici\/lib\/(dispatcher\/client-h2|milo\/)/.test(input));
  const unused = Object.keys(UNDICI_STUBS)
    .map((stub) => `undici-stub:${stub}`)
    .filter((stub) => !inputs.includes(stub));
  const misuse = undiciStubMisuse(result.metafile);
  if (leaks.length > 0 || unused.length > 0 || misuse.length > 0) {
    process.stderr.write(
      `bundle.mjs: undici's cuts do not hold in the ${name} bundle:\n` +
        [
          ...leaks.map((l) => `  bundled: ${l}`),
          ...unused.map((u) => `  stub not used: ${u}`),
          ...misuse.map((m) => `  stub lacks: ${m}`),
        ].join('\n') +
        '\nundici changed its internals; update undiciCuts or the esbuildDetection define\n',
    );
    process.exit(1);
  }
}
