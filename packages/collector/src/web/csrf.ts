// CSRF tokens for every form that changes data: `<issued-at>.<HMAC(secret, issued-at)>`.
// The secret lives in the process (WebDeps.csrfSecret), so a page from another
// origin can neither read nor forge a token; tokens expire after a day.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const CSRF_FIELD = 'csrf_token';
const MAX_AGE_S = 24 * 3600;

function mac(secret: Buffer, issuedAt: string): string {
  return createHmac('sha256', secret).update(`telemetryui-csrf:${issuedAt}`).digest('base64url');
}

export function issueCsrfToken(secret: Buffer, nowS: number): string {
  const issuedAt = String(Math.floor(nowS));
  return `${issuedAt}.${mac(secret, issuedAt)}`;
}

export function checkCsrfToken(secret: Buffer, token: string | undefined, nowS: number): boolean {
  if (!token) return false;
  const dot = token.indexOf('.');
  if (dot <= 0) return false;
  const issuedAt = token.slice(0, dot);
  if (!/^[0-9]{1,12}$/.test(issuedAt)) return false;
  const age = nowS - Number(issuedAt);
  if (age < -60 || age > MAX_AGE_S) return false;
  const want = Buffer.from(mac(secret, issuedAt));
  const got = Buffer.from(token.slice(dot + 1));
  return got.length === want.length && timingSafeEqual(got, want);
}
