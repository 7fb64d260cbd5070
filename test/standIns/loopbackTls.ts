import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('../fixtures/loopback-tls/', import.meta.url));

/**
 * A self-signed certificate for `localhost` and 127.0.0.1 (valid until 2126; made with
 * `openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj /CN=localhost
 * -addext subjectAltName=DNS:localhost,IP:127.0.0.1`), for stand-ins that serve TLS on loopback. gRPC
 * trusts it as its root in every test (test/trustLoopbackTls.ts), so the product's Google clients —
 * TLS with the default roots and the service account's token on each call, exactly as in production —
 * reach a stand-in that serves it. A test key, committed: it guards nothing.
 */
export const loopbackTls = {
  key: fs.readFileSync(path.join(DIR, 'key.pem')),
  cert: fs.readFileSync(path.join(DIR, 'cert.pem')),
  certFile: path.join(DIR, 'cert.pem'),
};
