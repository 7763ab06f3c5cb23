#!/usr/bin/env node
import { uptime } from 'node:os';
import { run } from './run.ts';

try {
  process.exitCode = await run(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    uptime,
  });
} catch (err) {
  process.stderr.write(
    `hprobe: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
}
