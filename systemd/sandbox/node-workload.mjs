#!/usr/bin/env node
// The kinds of I/O telemd does, in one short node run, for
// check-syscall-filter.mjs: a unix socket server receiving a frame, an HTTP
// POST with fetch (undici, llhttp in WebAssembly) and with node:http to a
// host name (getaddrinfo with AI_ADDRCONFIG), DNS lookups, the spool's
// create/write/fsync/rename/directory fsync, an append, a directory watch,
// and the host facts read from /proc, /sys and /etc. Everything under a
// fresh temp directory; prints "workload ok".
import crypto from 'node:crypto';
import dns from 'node:dns/promises';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telem-workload-'));
try {
  for (const f of [
    '/proc/cpuinfo',
    '/proc/sys/kernel/random/boot_id',
    '/etc/os-release',
    '/sys/class/dmi/id/sys_vendor',
  ]) {
    try {
      fs.readFileSync(f);
    } catch {
      // Absent on some machines (no DMI in a VM); telemd falls back too.
    }
  }

  const sock = path.join(dir, 'telem-0');
  const received = [];
  const intake = net.createServer((c) => {
    c.on('data', (d) => received.push(d));
  });
  intake.listen(sock);
  await once(intake, 'listening');
  const probe = net.connect(sock, () => probe.end(Buffer.from('frame')));
  await once(probe, 'close');

  const collector = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(201).end());
  });
  collector.listen(0, 'localhost');
  await once(collector, 'listening');
  const { port } = collector.address();
  const res = await fetch(`http://localhost:${port}/v2/collector`, {
    method: 'POST',
    headers: { 'content-type': 'application/text', classification: 'org.clearlinux/hello/world' },
    body: 'hello\n',
  });
  await res.arrayBuffer();
  await new Promise((resolve, reject) => {
    const req = http.request({ host: 'localhost', port, method: 'POST', path: '/v3/collector' }, (r) => {
      r.resume();
      r.on('end', resolve);
    });
    req.on('error', reject);
    req.end('{}');
  });
  await dns.lookup('localhost');
  await dns.lookup('collector.invalid').catch(() => {});

  const tmpName = path.join(dir, '.tmp-record');
  const fd = fs.openSync(tmpName, 'wx', 0o600);
  fs.writeSync(fd, 'record_format_version: 4\n');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(tmpName, path.join(dir, 'record'));
  const dfd = fs.openSync(dir, 'r');
  fs.fsyncSync(dfd);
  fs.closeSync(dfd);
  await fs.promises.appendFile(path.join(dir, 'journal'), 'entry\x1e');
  await fs.promises.readdir(dir);
  const watcher = fs.watch(dir);
  watcher.close();
  crypto.randomBytes(16);
  os.cpus();

  collector.close();
  intake.close();
  process.stdout.write(received.length > 0 ? 'workload ok\n' : 'workload: no frame received\n');
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
