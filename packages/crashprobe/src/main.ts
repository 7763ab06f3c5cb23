#!/usr/bin/env node
// Placeholder until the crashprobe issue lands: fail clearly rather than pretend.
process.stderr.write('crashprobe: not yet implemented\n');
process.exitCode = 1;
