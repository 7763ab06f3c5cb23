// A throw-away CA and a server certificate for 127.0.0.1, ::1 and localhost,
// made once per test process with the openssl CLI in a fresh temp dir that is
// removed when the process exits. Resolves to null when openssl is missing,
// so TLS tests can skip with a reason instead of failing.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCertificates {
  /** PEM file of the CA that signed the server certificate (pass it as `ca` / telemd's `cainfo`). */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

let cached: Promise<TestCertificates | null> | undefined;

export function getTestCertificates(): Promise<TestCertificates | null> {
  cached ??= make();
  return cached;
}

async function make(): Promise<TestCertificates | null> {
  try {
    await run('openssl', ['version']);
  } catch {
    return null;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'telem-ca-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const p = (name: string): string => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.pem'),
    '-days',
    '7',
    '-subj',
    '/CN=telemetrics test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run('openssl', [
    'req',
    ...ec,
    '-keyout',
    p('server.key'),
    '-out',
    p('server.csr'),
    '-subj',
    '/CN=localhost',
  ]);
  writeFileSync(
    p('server.ext'),
    'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nbasicConstraints=CA:FALSE\n' +
      'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    p('server.csr'),
    '-CA',
    p('ca.pem'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-out',
    p('server.pem'),
    '-days',
    '7',
    '-extfile',
    p('server.ext'),
  ]);
  return {
    caFile: p('ca.pem'),
    certFile: p('server.pem'),
    keyFile: p('server.key'),
    ca: readFileSync(p('ca.pem'), 'utf8'),
    cert: readFileSync(p('server.pem'), 'utf8'),
    key: readFileSync(p('server.key'), 'utf8'),
  };
}
