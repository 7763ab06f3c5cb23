// A minimal daemon with telemd's bench interface (`-f conf`, the socket, C's spool format, v2
// POSTs), run with `--daemon reference`. It validates the harness while telemd is unfinished and
// is the floor for the intake and delivery targets: what plain Node does on this machine with the
// same durability (temp file, fsync, rename, directory fsync) and no enrichment, limits or logs.
import { closeSync, fsyncSync, openSync, opendirSync, readFileSync } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { decodeFrame, HEADER_NAMES } from '@telemetrics/libtelemetry/wire';

function readConf(file: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    const eq = line.indexOf('=');
    if (line.startsWith('#') || line.startsWith('[') || eq < 0) continue;
    keys.set(
      line.slice(0, eq).trim(),
      line
        .slice(eq + 1)
        .trim()
        .replace(/\\(.?)/g, (_, c: string) => (c === 's' ? ' ' : c)),
    );
  }
  return keys;
}

const confIndex = process.argv.indexOf('-f');
const conf = readConf(process.argv[confIndex + 1] ?? '/etc/telemetrics/telemetrics.conf');
const spoolDir = conf.get('spool_dir') ?? '/var/spool/telemetry';
const server = new URL(conf.get('server') ?? 'http://127.0.0.1:9/');
const [tidName, tidValue] = (conf.get('tidheader') ?? 'X-Telemetry-TID: x').split(': ');
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
const MAX_IN_FLIGHT = 8;
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomName(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[Math.floor(Math.random() * ALNUM.length)];
  return out;
}

// one directory fsync covers every rename of the same tick
let dirSync: Promise<void> | null = null;
function syncDir(): Promise<void> {
  dirSync ??= new Promise((resolve) =>
    setImmediate(() => {
      dirSync = null;
      const fd = openSync(spoolDir, 'r');
      fsyncSync(fd);
      closeSync(fd);
      resolve();
    }),
  );
  return dirSync;
}

async function spool(content: Buffer): Promise<string> {
  const temp = path.join(spoolDir, `.tmp-${randomName(10)}`);
  const handle = await open(temp, 'wx', 0o600);
  await handle.writeFile(content);
  await handle.sync();
  await handle.close();
  const final = path.join(spoolDir, randomName(6));
  await rename(temp, final);
  await syncDir();
  return final;
}

let downUntil = 0;
let inFlight = 0;
const queue: string[] = [];

function post(content: Buffer): Promise<boolean> {
  const text = content.toString('latin1');
  const headers: Record<string, string> = { 'Content-Type': 'application/text' };
  let off = 0;
  for (const name of HEADER_NAMES) {
    const nl = text.indexOf('\n', off);
    headers[name.replace(/_/g, '-')] = text.slice(off + name.length + 2, nl);
    off = nl + 1;
  }
  if (tidName !== undefined && tidValue !== undefined) headers[tidName] = tidValue;
  const body = content.subarray(off, content.length - 1);
  return new Promise((resolve) => {
    const req = http.request(server, { method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode === 200 || res.statusCode === 201));
    });
    req.once('error', () => resolve(false));
    req.end(body);
  });
}

function pump(): void {
  while (inFlight < MAX_IN_FLIGHT && queue.length > 0 && Date.now() >= downUntil) {
    const file = queue.shift() as string;
    inFlight++;
    void readFile(file)
      .then((content) => post(content))
      .then(async (ok) => {
        if (ok) await unlink(file);
        else downUntil = Date.now() + 5000;
      })
      .catch(() => undefined)
      .finally(() => {
        inFlight--;
        pump();
      });
  }
}

const listener = net.createServer((socket) => {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => socket.destroy());
  socket.on('end', () => {
    const decoded = decodeFrame(Buffer.concat(chunks));
    if (!decoded.ok) return;
    const { headers, payload } = decoded.value;
    let text = '';
    for (const name of HEADER_NAMES) text += `${name}: ${headers[name]}\n`;
    void spool(Buffer.concat([Buffer.from(text, 'latin1'), payload, Buffer.from('\n')])).then((file) => {
      if (Date.now() < downUntil) return;
      queue.push(file);
      pump();
    });
  });
});

const dir = opendirSync(spoolDir);
for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) {
  if (entry.isFile() && !entry.name.startsWith('.')) queue.push(path.join(spoolDir, entry.name));
}
dir.closeSync();
pump();

if (process.env.LISTEN_FDS !== undefined && Number(process.env.LISTEN_PID) === process.pid) {
  listener.listen({ fd: 3 });
} else {
  const socketPath = conf.get('socket_path') ?? '/run/telem-0';
  try {
    await unlink(socketPath);
  } catch {}
  listener.listen(socketPath);
}
process.on('SIGTERM', () => process.exit(0));
