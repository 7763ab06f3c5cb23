#!/usr/bin/env node
// Placeholder until the telemd issue lands: fail clearly rather than pretend.
process.stderr.write('telemd: not yet implemented\n');
process.exitCode = 1;
