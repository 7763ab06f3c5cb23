// Who may read: /api and /telemetryui answer loopback clients only, unless an access token is
// configured; then every client (loopback included, so a reverse proxy on the same host does
// not open them) must present it as `Authorization: Bearer <token>` or a `telemetrics_token`
// cookie. [pure]
import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';

export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

function presentedToken(req: http.IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === 'telemetrics_token') {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** null when allowed, else the reason for a 403. */
export function accessDenied(req: http.IncomingMessage, token: string | undefined): string | null {
  if (token === undefined || token === '') {
    return isLoopback(req.socket.remoteAddress)
      ? null
      : 'only loopback clients may read (no access token is configured)';
  }
  const presented = presentedToken(req);
  return presented !== undefined && sameSecret(presented, token) ? null : 'a valid access token is required';
}
