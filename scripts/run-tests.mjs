// Runs every unit test (packages/*/src/**/*.test.ts) and end-to-end test
// (test/**/*.test.ts) with node's own runner, so CI sees its plain summary.
// Extra arguments are passed through (e.g. a file list or --test-name-pattern).
// First: an older node must reach the version message before anything else runs.
import './check-node.mjs';
import { spawnSync } from 'node:child_process';
// fs.globSync, not a named import: an older node fails a named import at link time,
// before check-node.mjs could say what to do.
import fs from 'node:fs';

const args = process.argv.slice(2);
const files = args.some((a) => !a.startsWith('-'))
  ? []
  : fs.globSync(['packages/*/src/**/*.test.ts', 'test/**/*.test.ts']).sort();
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=300000', '--test-reporter=spec', ...args, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
