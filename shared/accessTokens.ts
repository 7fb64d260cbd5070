import { LRUCache } from 'lru-cache';
import { readAccessToken, type AccessTokenClaims, type TokenSettings } from './auth.ts';
import type { Db } from './db.ts';
import { AuthenticationError } from './errors.ts';
import type { SessionRevocations } from './sessionRevocations.ts';

/**
 * How many checked access tokens a process remembers. A client sends the same token with every request
 * for its whole lifetime; each entry is a few hundred bytes.
 */
const CHECKED_TOKENS_KEPT = 10_000;

/**
 * The one check of a user's access token, on both servers: well signed and shaped (shared/auth.ts ›
 * readAccessToken), its user exists (a token naming nobody — a deleted account, a token from another
 * deployment sharing the secret — is `token_invalid`, not a 500 at the first foreign key), and its
 * session generation is current (`session_revoked` otherwise).
 *
 * A token that passed is remembered by its exact text until it expires: a client presents the same
 * token with every request, and checking it again (a signature, a parse and a query) would be most of
 * the cost of an authenticated read. Only the very same string finds it again, so a tampered token is
 * always checked in full. Sessions ended later are caught by SessionRevocations, which the bus keeps
 * current, on every call.
 */
export class AccessTokenVerifier {
  private readonly checked = new LRUCache<string, AccessTokenClaims>({ max: CHECKED_TOKENS_KEPT });

  constructor(
    private readonly settings: TokenSettings,
    private readonly db: Db,
    private readonly revocations: SessionRevocations,
  ) {}

  /** The token's claims once every check passed; throws AuthenticationError (401) otherwise. */
  async verify(token: string, now = Date.now()): Promise<AccessTokenClaims> {
    let claims = this.checked.get(token);
    if (!claims || now >= claims.expiresAt) {
      this.checked.delete(token);
      claims = await this.checkInFull(token, now);
      this.checked.set(token, claims);
    }
    if (this.revocations.isRevoked(claims.actor.id, claims.generation, now)) throw sessionRevoked();
    return claims;
  }

  /** Checks claims that were read elsewhere (the collab server reads both kinds of token first). */
  async verifyClaims(claims: AccessTokenClaims, now = Date.now()): Promise<AccessTokenClaims> {
    await this.checkUser(claims);
    if (this.revocations.isRevoked(claims.actor.id, claims.generation, now)) throw sessionRevoked();
    return claims;
  }

  private async checkInFull(token: string, now: number): Promise<AccessTokenClaims> {
    const claims = readAccessToken(this.settings, token, now);
    await this.checkUser(claims);
    return claims;
  }

  private async checkUser(claims: AccessTokenClaims): Promise<void> {
    // The users table is the auth module's; this one column is what every authentication must know of it.
    const user: { session_generation: number } | undefined = await this.db('users')
      .where({ id: claims.actor.id })
      .first('session_generation');
    if (!user) throw new AuthenticationError('Invalid token', 'token_invalid');
    if (claims.generation < user.session_generation) throw sessionRevoked();
  }
}

const sessionRevoked = () => new AuthenticationError('Session revoked', 'session_revoked');
