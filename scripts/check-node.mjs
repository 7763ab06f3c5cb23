// The Node version guard of every JavaScript entry point that is not a built
// bundle (the bundles carry the same check as a banner: scripts/bundle.mjs).
// Kept free of syntax and APIs newer than Node 12, so an old node reaches the
// message instead of a stack trace.
//
//   node scripts/check-node.mjs && ...        (package.json scripts)
//   import './check-node.mjs';                 (first import of a script)
import process from 'node:process';

const major = Number(process.versions.node.split('.')[0]);
if (major !== 24) {
  process.stderr.write(
    `telemetrics needs Node.js 24 (this is ${process.version} at ${process.execPath}); ` +
      'run "bash scripts/provision-node.sh" to provision it into .toolchain/, then ' +
      'export PATH="$PWD/.toolchain/bin:$PATH" (scripts/start.sh and scripts/test.sh do both)\n',
  );
  process.exit(1);
}
