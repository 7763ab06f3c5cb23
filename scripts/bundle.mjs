#!/usr/bin/env node
// Bundles a tool's entry point into ONE file (a package's build step, after tsc -b):
//
//   node ../../scripts/bundle.mjs src/main.ts dist/telemd.js   (run in the package directory)
//
// Why (README, "Start-up and memory"): node resolves, reads, compiles and links every module of
// an ES module graph one by one, about 70 for telemd; one file skips all of that. The Node
// built-ins are taken with process.getBuiltinModule(), not imported: an ES import of a built-in
// builds a facade that reads every export, and getters such as fs.promises or crypto.webcrypto
// load and compile modules telemd never uses (~3 MiB RSS and milliseconds for each).
//
// Deterministic: the same sources give the same bytes (no timestamps, sorted inputs by esbuild).
// tsc -b stays the type checker and still emits dist/ for the packages' exports and the tests.
import { builtinModules } from 'node:module';
import { build } from 'esbuild';

const [entry, outfile, ...rest] = process.argv.slice(2);
if (entry === undefined || outfile === undefined || rest.length > 0) {
  process.stderr.write('usage: node scripts/bundle.mjs ENTRY.ts OUT.js (in the package directory)\n');
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
        'module.exports = m;\n',
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  plugins: [builtinsWithoutFacade],
  // Stack traces in logs name the TypeScript source line when node runs with
  // --enable-source-maps (the launchers and the unit do); the map costs nothing otherwise.
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'eof',
  logLevel: 'warning',
});
