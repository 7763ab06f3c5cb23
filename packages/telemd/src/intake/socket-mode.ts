// The mode of a socket telemd was handed (socket activation). telemd.socket
// makes it 0666 (SocketMode=), but systemd-socket-activate, which stands in
// for it without systemd as PID 1, leaves it at its umask (0644: other users'
// probes get EACCES). Node cannot ask a listening pipe its name
// (server.address() is null for an fd), so the path is looked up by the
// socket's inode in /proc/net/unix, off the start-up path (asynchronously).
import fs from 'node:fs';

/** The bound path of the unix socket with this inode in /proc/net/unix text, if any. Pure. */
export function unixSocketPath(procNetUnix: string, inode: string): string | undefined {
  for (const line of procNetUnix.split('\n')) {
    // Num RefCount Protocol Flags Type St Inode Path
    const f = line.trim().split(/\s+/);
    if (f[6] === inode && f[7]?.startsWith('/')) return f[7];
  }
  return undefined;
}

/** Makes the file of listening socket `fd` 0666 when it is not, if telemd may; never throws. */
export function openInheritedSocketToAll(fd: number): void {
  let inode: string | undefined;
  try {
    inode = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`))?.[1];
  } catch {
    return;
  }
  if (inode === undefined) return;
  fs.readFile('/proc/net/unix', 'latin1', (err, text) => {
    const file = err ? undefined : unixSocketPath(text, inode);
    if (file === undefined) return;
    try {
      if ((fs.statSync(file).mode & 0o777) !== 0o666) fs.chmodSync(file, 0o666);
    } catch {} // not telemd's to change (owned by root under telemd.socket, where it is 0666 anyway)
  });
}
