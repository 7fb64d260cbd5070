/**
 * Users whose sessions were all revoked (`user.sessions_revoked`), and since when. Access tokens are
 * stateless JWTs that stay valid until they expire, so without this a client whose sessions ended would
 * simply reconnect with the token it holds. An entry lives as long as an access token can, after which
 * every token issued before the revocation has expired anyway. Each node keeps its own (every node
 * receives the event); a node that restarts forgets, which re-opens at most one token lifetime.
 */
export class SessionRevocations {
  private readonly revokedAt = new Map<string, { at: number; until: number }>();

  constructor(private readonly tokenTtlSeconds: number) {}

  /** Records that every session of the user ended now. */
  revoke(userId: string, now = Date.now()): void {
    this.prune(now);
    this.revokedAt.set(userId, { at: Math.floor(now / 1000), until: now + this.tokenTtlSeconds * 1000 });
  }

  /**
   * True when a token the user was issued at `issuedAt` (JWT `iat`, seconds) may predate a revocation.
   * `iat` has whole-second resolution, so a token issued in the revocation's own second is refused too:
   * a login in that same second has to sign in once more, which is better than letting a stolen token through.
   */
  isRevoked(userId: string, issuedAt: number | undefined, now = Date.now()): boolean {
    const entry = this.revokedAt.get(userId);
    if (!entry || entry.until < now) return false;
    return issuedAt === undefined || issuedAt <= entry.at;
  }

  private prune(now: number): void {
    for (const [userId, entry] of this.revokedAt) if (entry.until < now) this.revokedAt.delete(userId);
  }
}
