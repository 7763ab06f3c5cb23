#!/usr/bin/env node
// Runs a command under strace with every syscall that a unit's
// SystemCallFilter= refuses failing with EPERM (what SystemCallErrorNumber=EPERM
// makes the kernel do), and lists the refused calls the command made. This
// checks the filter without systemd as PID 1.
//
//   node systemd/sandbox/check-syscall-filter.mjs [--tolerate CALL,...] \
//     systemd/system/telemd.service.in -- node systemd/sandbox/node-workload.mjs
//
// Exit 0 when the command succeeded and made no refused call other than the
// tolerated ones (refused on purpose, with a fallback: io_uring); 1 otherwise.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SYSCALL_HEADERS = [
  '/usr/include/x86_64-linux-gnu/asm/unistd_64.h',
  '/usr/include/aarch64-linux-gnu/asm/unistd.h',
  '/usr/include/asm-generic/unistd.h',
];

function fail(message) {
  process.stderr.write(`check-syscall-filter: ${message}\n`);
  process.exit(2);
}

// Group name -> members, from systemd's own table.
function syscallGroups() {
  const r = spawnSync('systemd-analyze', ['syscall-filter', '--no-pager'], { encoding: 'utf8' });
  if (r.status !== 0) fail(`systemd-analyze syscall-filter failed: ${r.stderr}`);
  const groups = new Map();
  let current = null;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('@')) {
      current = line.trim();
      groups.set(current, []);
    } else if (current && line.trim() && !line.trim().startsWith('#')) {
      groups.get(current).push(line.trim());
    }
  }
  return groups;
}

function expand(groups, name, out = new Set()) {
  if (!name.startsWith('@')) out.add(name);
  else for (const member of groups.get(name) ?? []) expand(groups, member, out);
  return out;
}

// systemd.exec(5): the first SystemCallFilter= decides allow-list or
// deny-list mode; later lines add to or remove from that set.
function allowed(unitText, groups, known) {
  const lines = [...unitText.matchAll(/^SystemCallFilter=(.*)$/gm)].map((m) => m[1].trim());
  if (lines.length === 0) fail('the unit has no SystemCallFilter=');
  const allowList = !lines[0].startsWith('~');
  const set = allowList ? new Set() : new Set(known);
  for (const line of lines) {
    const deny = line.startsWith('~');
    for (const name of line.replace(/^~/, '').split(/\s+/).filter(Boolean)) {
      for (const call of expand(groups, name)) {
        if (deny === allowList) set.delete(call);
        else set.add(call);
      }
    }
  }
  return set;
}

function nativeSyscalls() {
  const header = SYSCALL_HEADERS.find((h) => fs.existsSync(h));
  if (!header) fail('no kernel syscall header found (apt-get install linux-libc-dev)');
  return new Set(
    [...fs.readFileSync(header, 'utf8').matchAll(/#define __NR_([a-z0-9_]+)\s/g)].map((m) => m[1]),
  );
}

const argv = process.argv.slice(2);
const tolerated = new Set();
if (argv[0] === '--tolerate' && argv.length > 1) {
  for (const call of argv[1].split(',').filter(Boolean)) tolerated.add(call);
  argv.splice(0, 2);
}
const sep = argv.indexOf('--');
const unit = argv[0];
if (!unit || sep !== 1 || sep === argv.length - 1) {
  fail('usage: check-syscall-filter.mjs [--tolerate CALL,...] UNIT -- COMMAND [ARGS...]');
}
const command = argv.slice(sep + 1);
const native = nativeSyscalls();
const permitted = allowed(fs.readFileSync(unit, 'utf8'), syscallGroups(), native);
const refused = [...native].filter((s) => !permitted.has(s)).sort();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'telem-strace-'));
const log = path.join(tmp, 'trace');
try {
  const run = spawnSync(
    'strace',
    [
      '-f',
      '-qq',
      '-o',
      log,
      '-e',
      'trace=all',
      '-e',
      `inject=${refused.join(',')}:error=EPERM`,
      '--',
      ...command,
    ],
    { stdio: 'inherit' },
  );
  if (run.error) fail(`cannot run strace: ${run.error.message}`);
  const trace = fs.readFileSync(log, 'utf8');
  const used = new Set();
  const hit = new Set();
  for (const line of trace.split('\n')) {
    const m = /^(?:\[pid\s+\d+\]\s+|\d+\s+)?([a-z0-9_]+)\(/.exec(line);
    if (!m) continue;
    used.add(m[1]);
    if (line.includes('(INJECTED)')) hit.add(m[1]);
  }
  process.stdout.write(`syscalls used (${used.size}): ${[...used].sort().join(' ')}\n`);
  const unexpected = [...hit].filter((c) => !tolerated.has(c)).sort();
  const expected = [...hit].filter((c) => tolerated.has(c)).sort();
  process.stdout.write(`refused by the filter and called: ${unexpected.join(' ') || 'none'}\n`);
  process.stdout.write(`refused on purpose and called: ${expected.join(' ') || 'none'}\n`);
  process.stdout.write(`command exit status: ${run.status ?? run.signal}\n`);
  process.exitCode = unexpected.length === 0 && run.status === 0 ? 0 : 1;
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
