import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { SHARE_PERMISSIONS, type SharePrincipal } from './access/share.ts';
import type { Config } from './config.ts';
import { AuthenticationError } from './errors.ts';

const ISSUER = 'twinmcp';
const ALGORITHM = 'HS256';

/** The one set of verification options both servers use: HS256 only, our issuer only. */
export const JWT_VERIFY_OPTIONS = { algorithms: [ALGORITHM], issuer: ISSUER } satisfies jwt.VerifyOptions;

/** Who is acting: a signed-in user. (Share-link holders are `SharePrincipal`s in shared/access.) */
export type Actor = { type: 'user'; id: string };

/** Settings every token function needs; built once per process by `createTokenSettings`. */
export interface TokenSettings {
  /**
   * The HMAC key as a KeyObject. Handing jsonwebtoken a string makes it try (and fail) to parse it as
   * a public key on every call — an exception per request that cost a fifth of the REST API's CPU.
   */
  secret: crypto.KeyObject;
  accessTokenTtlSeconds: number;
}

/** What a well-signed access token claims (before anyone checks that its user exists: shared/accessTokens.ts). */
export interface AccessTokenClaims {
  actor: Actor;
  /** The user's session generation when it was issued (`gen`); tokens of an older one are refused. */
  generation: number;
  /** `exp`, in milliseconds. */
  expiresAt: number;
}

/** How far in the future a token's `iat` may lie: clocks of the nodes that sign and verify may differ this much. */
export const MAX_CLOCK_SKEW_SECONDS = 60;

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
  };
}

/** Signs a short-lived access token for a user, in the user's current session generation. */
export function signAccessToken(settings: TokenSettings, userId: string, generation: number): string {
  return jwt.sign({ typ: 'access', gen: generation }, settings.secret, {
    algorithm: ALGORITHM,
    subject: userId,
    issuer: ISSUER,
    expiresIn: settings.accessTokenTtlSeconds,
  });
}

// Tokens signed before generations existed carry no `gen`: they belong to the first one.
const AccessClaims = z.object({
  sub: z.uuid(),
  typ: z.literal('access'),
  gen: z.number().int().min(0).default(0),
  iat: z.number(),
  exp: z.number(),
});

/**
 * Reads an access token: only HS256 with our secret passes — `alg: none`, other algorithms, tampered
 * signatures, other shapes and an `iat` in the future (past the clock skew) fail as `token_invalid`; a
 * lapsed one as `token_expired`, which tells the client to refresh and retry. Whether its user still
 * exists and its session generation is current is AccessTokenVerifier's to check (shared/accessTokens.ts).
 */
export function readAccessToken(settings: TokenSettings, token: string, now = Date.now()): AccessTokenClaims {
  let payload: unknown;
  try {
    payload = jwt.verify(token, settings.secret, JWT_VERIFY_OPTIONS);
  } catch (error) {
    throw toAuthenticationError(error);
  }
  return claimsOf(payload, now);
}

/** Turns verified JWT claims into an actor; claims of any other shape, or issued in the future, are `token_invalid`. */
function claimsOf(payload: unknown, now: number): AccessTokenClaims {
  const claims = AccessClaims.safeParse(payload);
  if (!claims.success || claims.data.iat > now / 1000 + MAX_CLOCK_SKEW_SECONDS)
    throw new AuthenticationError('Invalid token', 'token_invalid');
  return { actor: { type: 'user', id: claims.data.sub }, generation: claims.data.gen, expiresAt: claims.data.exp * 1000 };
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
  perm: z.enum(SHARE_PERMISSIONS),
});

/**
 * Signs a share token: a JWT scoped to one conversation at one permission, handed out by the public
 * share view. It expires at `expiresAt` (the earlier of the token lifetime and the share's expiry);
 * the collab server also re-checks the share itself, so revoking it ends the token at once.
 */
export function signShareToken(settings: TokenSettings, principal: Omit<SharePrincipal, 'type'>, expiresAt: Date): string {
  return jwt.sign(
    {
      typ: 'share',
      sid: principal.shareId,
      cid: principal.conversationId,
      perm: principal.permission,
      exp: Math.floor(expiresAt.getTime() / 1000),
    },
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
export function signShareDeviceToken(
  settings: TokenSettings,
  shareId: string,
  deviceId = crypto.randomBytes(16).toString('base64url'),
): string {
  return jwt.sign({ typ: 'share_device', sid: shareId, jti: deviceId }, settings.secret, {
    algorithm: ALGORITHM,
    issuer: ISSUER,
    expiresIn: SHARE_DEVICE_TOKEN_LIFETIME_SECONDS,
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

/** What a token the collab server takes turned out to be: a share token (verified), or a user's access token. */
export type CollabToken = { kind: 'share'; principal: SharePrincipal } | { kind: 'access'; claims: AccessTokenClaims };

/**
 * Reads either kind of token the collab server takes. A share token is complete here; an access token
 * still needs AccessTokenVerifier's check of its user (the caller's, as on the REST API).
 */
export function readCollabToken(settings: TokenSettings, token: string, now = Date.now()): CollabToken {
  let payload: unknown;
  try {
    payload = jwt.verify(token, settings.secret, JWT_VERIFY_OPTIONS);
  } catch (error) {
    throw toAuthenticationError(error);
  }
  const share = ShareClaims.safeParse(payload);
  if (share.success) {
    const { sid, cid, perm } = share.data;
    return { kind: 'share', principal: { type: 'share', shareId: sid, conversationId: cid, permission: perm } };
  }
  return { kind: 'access', claims: claimsOf(payload, now) };
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
