import { generateOpaqueToken, hashOpaqueToken } from '@shared/auth.ts';

/**
 * What every API key starts with: recognisable at a glance and by secret scanners, and never a JWT
 * (those start `eyJ`), so one Authorization header carries either without ambiguity.
 */
export const API_KEY_PREFIX = 'twk_';

/** The prefix and 256 random bits, base64url: the only shape a key can have. */
const API_KEY_SHAPE = /^twk_[A-Za-z0-9_-]{43}$/;

/** How many leading characters of a key are kept for display: the prefix and 8 of its 43 random characters. */
const DISPLAY_LENGTH = API_KEY_PREFIX.length + 8;

/** A freshly minted key: the key itself (shown once, never stored), what is kept to show it, and its hash. */
export interface NewApiKey {
  key: string;
  /** The first characters, so an operator can tell keys apart in a list. */
  displayPrefix: string;
  /** SHA-256 of the key: what is stored and looked up. */
  hash: string;
}

/** A new key: 256 bits from the CSPRNG behind the `twk_` prefix (shared/auth.ts › generateOpaqueToken). */
export function generateApiKey(): NewApiKey {
  const key = `${API_KEY_PREFIX}${generateOpaqueToken()}`;
  return { key, displayPrefix: key.slice(0, DISPLAY_LENGTH), hash: hashApiKey(key) };
}

/** Whether a bearer token is meant as an API key (whatever its fate when checked). */
export function isApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

/** Whether the token has the exact shape of a key; anything else is refused without a lookup. */
export function hasApiKeyShape(token: string): boolean {
  return API_KEY_SHAPE.test(token);
}

/**
 * SHA-256 of a key, for storage and lookup. A fast hash is right here, as for refresh tokens: the key
 * carries 256 bits of entropy, so there is nothing to brute-force.
 */
export function hashApiKey(key: string): string {
  return hashOpaqueToken(key);
}
