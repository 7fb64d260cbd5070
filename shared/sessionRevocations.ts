import type { Knex } from 'knex';

/**
 * Users whose sessions were all ended (`user.sessions_revoked`, `users.session_generation`), and the
 * generation their tokens must now carry. Access tokens are stateless JWTs that stay valid until they
 * expire, so without this a stolen access token would keep working after its refresh token family was
 * revoked. Both servers ask it on every authentication; it is a map in memory, filled at start from the
 * database and kept current by the bus, so asking costs no query. An entry lives as long as an access
 * token can, after which every token of an older generation has expired anyway.
 */
export class SessionRevocations {
  private readonly generations = new Map<string, { generation: number; until: number }>();

  constructor(private readonly tokenTtlSeconds: number) {}

  /** Reads the revocations recent enough to matter, for a node that is starting. */
  async load(db: Knex, now = Date.now()): Promise<void> {
    const rows: Array<{ id: string; session_generation: number; sessions_revoked_at: Date }> = await db('users')
      .where('sessions_revoked_at', '>', new Date(now - this.tokenTtlSeconds * 1000))
      .select('id', 'session_generation', 'sessions_revoked_at');
    for (const row of rows) this.revoke(row.id, row.session_generation, row.sessions_revoked_at.getTime(), now);
  }

  /** Records that every session of the user ended at `at` (ms), starting `generation`. */
  revoke(userId: string, generation: number, at: number, now = Date.now()): void {
    this.prune(now);
    const previous = this.generations.get(userId);
    if (previous && previous.generation >= generation) return;
    this.generations.set(userId, { generation, until: at + this.tokenTtlSeconds * 1000 });
  }

  /**
   * True when a token of the user's session generation `generation` was issued before their sessions
   * were last ended. A counter, not a time: a token issued right after "sign out everywhere", in the
   * same second or millisecond, carries the new generation and is never mistaken for an old one.
   */
  isRevoked(userId: string, generation: number, now = Date.now()): boolean {
    const entry = this.generations.get(userId);
    if (!entry || entry.until < now) return false;
    return generation < entry.generation;
  }

  private prune(now: number): void {
    for (const [userId, entry] of this.generations) if (entry.until < now) this.generations.delete(userId);
  }
}
