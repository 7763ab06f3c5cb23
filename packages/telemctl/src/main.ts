#!/usr/bin/env node
// Placeholder until the telemctl issue lands: fail clearly rather than pretend.
process.stderr.write('telemctl: not yet implemented\n');
process.exitCode = 1;
