import crypto from 'node:crypto';

/** Names the version of the format and the key's purpose, so a key derived for something else never opens these. */
const PREFIX = 'v1';
const KEY_INFO = 'twinmcp plugin remote headers v1';

/**
 * The key that seals a remote MCP server's headers at rest: HKDF-SHA256 over the deployment's JWT secret,
 * so a database dump alone does not hand out the API keys operators registered. Rotating the secret
 * makes stored headers unreadable: the servers must then be registered again.
 */
export function headerSealingKey(secret: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', Buffer.from(secret), Buffer.alloc(0), KEY_INFO, 32));
}

/** The headers as `v1.<iv>.<tag>.<ciphertext>` (base64url, AES-256-GCM); `aad` binds them to one server's URL. */
export function sealHeaders(key: Buffer, headers: Record<string, string>, aad: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const sealed = Buffer.concat([cipher.update(JSON.stringify(headers), 'utf8'), cipher.final()]);
  return [PREFIX, iv, cipher.getAuthTag(), sealed].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

/** The headers sealed by `sealHeaders` with the same key and `aad`; throws when either differs or the text was altered. */
export function openHeaders(key: Buffer, sealed: string, aad: string): Record<string, string> {
  const [prefix, iv, tag, ciphertext] = sealed.split('.');
  if (prefix !== PREFIX || !iv || !tag || ciphertext === undefined) throw new Error('sealed headers: unknown format');
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  const plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  return JSON.parse(plain) as Record<string, string>;
}
