import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

const KEY_ID = /^ed25519:[A-Za-z0-9_-]{43}$/;

/** The id of an ed25519 key (given either half): `ed25519:<base64url of its 32 raw bytes>`, as PLUGIN_TRUSTED_KEYS lists it. */
export function keyIdOf(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const { x } = publicKey.export({ format: 'jwk' });
  return `ed25519:${x}`;
}

/**
 * The public key a key id names, or undefined when the id is malformed. Only the canonical encoding is
 * accepted, so one key has exactly one id and a trust list compares ids as plain strings.
 */
export function publicKeyOf(keyId: string): KeyObject | undefined {
  if (!KEY_ID.test(keyId)) return undefined;
  const x = keyId.slice('ed25519:'.length);
  if (Buffer.from(x, 'base64url').toString('base64url') !== x) return undefined;
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  } catch {
    return undefined;
  }
}

/** An ed25519 private key from PEM (PKCS #8); throws when the PEM holds another kind of key. */
export function loadSigningKey(privateKeyPem: string): KeyObject {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`The signing key is ${key.asymmetricKeyType}, not ed25519`);
  return key;
}

/** A new signing key pair: the private half as PKCS #8 PEM, the public half as a key id for PLUGIN_TRUSTED_KEYS. */
export function generateSigningKey(): { privateKeyPem: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, publicKey: keyIdOf(publicKey) };
}

/**
 * PLUGIN_TRUSTED_KEYS (`ed25519:…,ed25519:…`) as a list of key ids; throws naming the first malformed one,
 * so a deployment with a typo in its trust list fails at startup rather than refusing every plugin.
 */
export function parseTrustedKeys(value: string): string[] {
  const keyIds = value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  const malformed = keyIds.find((keyId) => !publicKeyOf(keyId));
  if (malformed) throw new Error(`Not an ed25519 public key id (ed25519:<base64url of 32 bytes>): ${malformed}`);
  return keyIds;
}
