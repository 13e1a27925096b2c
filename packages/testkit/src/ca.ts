import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTools } from './tools.js';

export interface TestCa {
  /** PEM of the CA: what NODE_EXTRA_CA_CERTS points at. */
  caPath: string;
  ca: string;
  /** Leaf certificate for `localhost` and 127.0.0.1 / ::1, signed by the CA. */
  cert: string;
  key: string;
}

/**
 * Makes (once per folder) a throwaway CA and a loopback server certificate with openssl. Trusting
 * the CA through NODE_EXTRA_CA_CERTS exercises real certificate verification, never a switch off.
 */
export function ensureTestCa(dir: string): TestCa {
  const paths = { caPath: join(dir, 'ca.pem'), caKey: join(dir, 'ca-key.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server-key.pem') };
  if (!existsSync(paths.cert)) {
    requireTools(['openssl'], 'it makes a local CA for HTTPS on loopback');
    mkdirSync(dir, { recursive: true });
    const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/CN=outboundIQ test CA',
      '-keyout', paths.caKey, '-out', paths.caPath,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    const csr = join(dir, 'server.csr');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', paths.key, '-out', csr);
    const ext = join(dir, 'server.ext');
    writeFileSync(ext, 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n');
    openssl('x509', '-req', '-in', csr, '-CA', paths.caPath, '-CAkey', paths.caKey, '-CAcreateserial',
      '-days', '30', '-out', paths.cert, '-extfile', ext);
  }
  return {
    caPath: paths.caPath,
    ca: readFileSync(paths.caPath, 'utf8'),
    cert: readFileSync(paths.cert, 'utf8'),
    key: readFileSync(paths.key, 'utf8'),
  };
}
