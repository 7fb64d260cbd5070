import type { Knex } from 'knex';

/**
 * Users whose sessions were all ended (`user.sessions_revoked`, `users.sessions_revoked_at`), and since
 * when. Access tokens are stateless JWTs that stay valid until they expire, so without this a stolen
 * access token would keep working after its refresh token family was revoked. Both servers ask it on
 * every authentication; it is a map in memory, filled at start from the database and kept current by
 * the bus, so asking costs no query. An entry lives as long as an access token can, after which every
 * token issued before the revocation has expired anyway.
 */
export class SessionRevocations {
  private readonly revokedAt = new Map<string, { at: number; until: number }>();

  constructor(private readonly tokenTtlSeconds: number) {}

  /** Reads the revocations recent enough to matter, for a node that is starting. */
  async load(db: Knex, now = Date.now()): Promise<void> {
    const rows: Array<{ id: string; sessions_revoked_at: Date }> = await db('users')
      .where('sessions_revoked_at', '>', new Date(now - this.tokenTtlSeconds * 1000))
      .select('id', 'sessions_revoked_at');
    for (const row of rows) this.revoke(row.id, row.sessions_revoked_at.getTime(), now);
  }

  /** Records that every session of the user ended at `at` (ms). */
  revoke(userId: string, at: number, now = Date.now()): void {
    this.prune(now);
    const previous = this.revokedAt.get(userId);
    const seconds = Math.floor(at / 1000);
    if (previous && previous.at >= seconds) return;
    this.revokedAt.set(userId, { at: seconds, until: at + this.tokenTtlSeconds * 1000 });
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
