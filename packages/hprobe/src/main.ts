#!/usr/bin/env node
// Placeholder until the hprobe issue lands: fail clearly rather than pretend.
process.stderr.write('hprobe: not yet implemented\n');
process.exitCode = 1;
