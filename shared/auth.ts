import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { Config } from './config.ts';
import { AuthenticationError } from './errors.ts';

const ISSUER = 'twinmcp';
const ALGORITHM = 'HS256';

/** The one set of verification options both servers use: HS256 only, our issuer only. */
export const JWT_VERIFY_OPTIONS = { algorithms: [ALGORITHM], issuer: ISSUER } satisfies jwt.VerifyOptions;

/** Who is acting: a signed-in user. (Share-link holders are `SharePrincipal`s in shared/access.) */
export type Actor = { type: 'user'; id: string };

/** A share token's principal; mirrors shared/access's SharePrincipal (kept here to avoid an import cycle). */
export type ShareTokenPrincipal = {
  type: 'share';
  shareId: string;
  conversationId: string;
  permission: 'read' | 'comment' | 'edit';
};

/** Settings every token function needs; built once per process by `createTokenSettings`. */
export interface TokenSettings {
  /**
   * The HMAC key as a KeyObject. Handing jsonwebtoken a string makes it try (and fail) to parse it as
   * a public key on every call — an exception per request that cost a fifth of the REST API's CPU.
   */
  secret: crypto.KeyObject;
  accessTokenTtlSeconds: number;
  /** Access tokens this process has verified, by their exact text (see verifyAccessToken). */
  verified: LRUCache<string, VerifiedAccessToken>;
}

/** What a verified access token says. */
export interface VerifiedAccessToken {
  actor: Actor;
  /** `iat`, in seconds: checked against sessions revoked later. */
  issuedAt: number;
  /** `exp`, in milliseconds. */
  expiresAt: number;
}

/**
 * How many verified access tokens a process remembers. A client sends the same token with every request
 * for its whole lifetime; each entry is a few hundred bytes.
 */
const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * JWT_SECRET when set; otherwise a 256-bit secret generated once and kept (mode 0600) under DATA_DIR,
 * so that tokens survive restarts of the embedded install. Production refuses to start without
 * JWT_SECRET (see config).
 */
export function resolveJwtSecret(config: Pick<Config, 'JWT_SECRET' | 'DATA_DIR'>): string {
  if (config.JWT_SECRET) return config.JWT_SECRET;
  const file = path.resolve(config.DATA_DIR, 'jwt-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const secret = crypto.randomBytes(32).toString('base64url');
  try {
    // 'wx': if another process won the race, keep its secret rather than overwrite it.
    fs.writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(file, 'utf8').trim();
    throw error;
  }
}

export function createTokenSettings(config: Pick<Config, 'JWT_SECRET' | 'DATA_DIR' | 'ACCESS_TOKEN_TTL_SECONDS'>): TokenSettings {
  return {
    secret: crypto.createSecretKey(Buffer.from(resolveJwtSecret(config))),
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    verified: new LRUCache({ max: VERIFIED_TOKENS_KEPT }),
  };
}

/** Signs a short-lived access token for a user. */
export function signAccessToken(settings: TokenSettings, userId: string): string {
  return jwt.sign({ typ: 'access' }, settings.secret, {
    algorithm: ALGORITHM,
    subject: userId,
    issuer: ISSUER,
    expiresIn: settings.accessTokenTtlSeconds,
  });
}

const AccessClaims = z.object({ sub: z.uuid(), typ: z.literal('access'), iat: z.number(), exp: z.number() });

/**
 * Verifies an access token. Only HS256 with our secret passes: `alg: none`, other algorithms and
 * tampered signatures fail as `token_invalid`; a lapsed one as `token_expired`, which tells the client
 * to refresh and retry.
 *
 * A token that verified once is remembered by its exact text until it expires: a client presents the
 * same token with every request, and checking its signature again (plus parsing it) was a seventh of
 * the CPU of an authenticated read. Only a token that passed every check gets in, and only the very
 * same string finds it again, so a tampered token is always verified in full.
 */
export function verifyAccessToken(settings: TokenSettings, token: string, now = Date.now()): VerifiedAccessToken {
  const known = settings.verified.get(token);
  if (known && now < known.expiresAt) return known;
  let payload: unknown;
  try {
    payload = jwt.verify(token, settings.secret, JWT_VERIFY_OPTIONS);
  } catch (error) {
    if (known) settings.verified.delete(token);
    throw toAuthenticationError(error);
  }
  const verified = verifiedFromClaims(payload);
  settings.verified.set(token, verified);
  return verified;
}

/** Turns verified JWT claims into an actor; claims of any other shape are `token_invalid`. */
function verifiedFromClaims(payload: unknown): VerifiedAccessToken {
  const claims = AccessClaims.safeParse(payload);
  if (!claims.success) throw new AuthenticationError('Invalid token', 'token_invalid');
  return { actor: { type: 'user', id: claims.data.sub }, issuedAt: claims.data.iat, expiresAt: claims.data.exp * 1000 };
}

/** Maps a jsonwebtoken failure to the 401 a client can act on. */
export function toAuthenticationError(error: unknown): AuthenticationError {
  if (error instanceof jwt.TokenExpiredError) return new AuthenticationError('Token expired', 'token_expired');
  return new AuthenticationError('Invalid token', 'token_invalid');
}

const ShareClaims = z.object({
  typ: z.literal('share'),
  sid: z.string().min(1),
  cid: z.uuid(),
  perm: z.enum(['read', 'comment', 'edit']),
  iat: z.number().optional(),
});

/**
 * Signs a share token: a JWT scoped to one conversation at one permission, handed out by the public
 * share view. It expires at `expiresAt` (the earlier of the token lifetime and the share's expiry);
 * the collab server also re-checks the share itself, so revoking it ends the token at once.
 */
export function signShareToken(settings: TokenSettings, principal: Omit<ShareTokenPrincipal, 'type'>, expiresAt: Date): string {
  return jwt.sign(
    { typ: 'share', sid: principal.shareId, cid: principal.conversationId, perm: principal.permission, exp: Math.floor(expiresAt.getTime() / 1000) },
    settings.secret,
    { algorithm: ALGORITHM, issuer: ISSUER },
  );
}

/** How long a browser's proof of having given a share's password lasts. */
export const SHARE_DEVICE_TOKEN_LIFETIME_SECONDS = 30 * 24 * 3600;

const ShareDeviceClaims = z.object({ typ: z.literal('share_device'), sid: z.string(), jti: z.string().min(16) });

/**
 * OWASP's device cookie for a password-protected share: proof that this browser once gave the right
 * password. It does not open the share (the password is still asked); it moves the browser's guesses
 * from the link's budget, which anyone spraying guesses can exhaust, to a budget of its own. A token of
 * its own type, so it is never mistaken for an access or share token.
 */
export function signShareDeviceToken(settings: TokenSettings, shareId: string, deviceId = crypto.randomBytes(16).toString('base64url')): string {
  return jwt.sign({ typ: 'share_device', sid: shareId, jti: deviceId }, settings.secret, {
    algorithm: ALGORITHM, issuer: ISSUER, expiresIn: SHARE_DEVICE_TOKEN_LIFETIME_SECONDS,
  });
}

/** The device id in a valid device token for this share; undefined for anything else. */
export function verifyShareDeviceToken(settings: TokenSettings, token: string | undefined, shareId: string): string | undefined {
  if (!token) return undefined;
  try {
    const claims = ShareDeviceClaims.safeParse(jwt.verify(token, settings.secret, JWT_VERIFY_OPTIONS));
    return claims.success && claims.data.sid === shareId ? claims.data.jti : undefined;
  } catch {
    return undefined;
  }
}

/** Verifies either kind of token the collab server takes: a user's access token or a share token. */
export function verifyCollabToken(settings: TokenSettings, token: string): { principal: Actor | ShareTokenPrincipal; issuedAt: number | undefined } {
  let payload: unknown;
  try {
    payload = jwt.verify(token, settings.secret, JWT_VERIFY_OPTIONS);
  } catch (error) {
    throw toAuthenticationError(error);
  }
  const share = ShareClaims.safeParse(payload);
  if (share.success) {
    const { sid, cid, perm, iat } = share.data;
    return { principal: { type: 'share', shareId: sid, conversationId: cid, permission: perm }, issuedAt: iat };
  }
  const { actor, issuedAt } = verifiedFromClaims(payload);
  return { principal: actor, issuedAt };
}

/** 256 bits from the CSPRNG, URL-safe: refresh tokens, and later invitation tokens. */
export function generateOpaqueToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/**
 * SHA-256 of an opaque token, for storage and lookup. A fast hash is right here (unlike passwords):
 * the input already carries 256 bits of entropy, so there is nothing to brute-force.
 */
export function hashOpaqueToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('base64url');
}
