import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Writes a service-account key file of the shape Google issues, with a freshly generated RSA key, and
 * returns its path: what GOOGLE_APPLICATION_CREDENTIALS names in a deployment. Remove its folder with
 * `fs.rm(path.dirname(file), { recursive: true })`.
 */
export async function writeServiceAccountKey(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-google-'));
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const file = path.join(dir, 'service-account.json');
  const key = {
    type: 'service_account',
    project_id: 'twinmcp-test',
    private_key_id: crypto.randomBytes(20).toString('hex'),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    client_email: 'collab@twinmcp-test.iam.gserviceaccount.com',
    client_id: '100000000000000000000',
    // Never reached: calls to the loopback stand-ins carry no OAuth token (see the stand-ins).
    token_uri: 'http://127.0.0.1:9/token',
  };
  await fs.writeFile(file, JSON.stringify(key), { mode: 0o600 });
  return file;
}
