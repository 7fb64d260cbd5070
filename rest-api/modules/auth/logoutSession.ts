import type { Knex } from 'knex';
import { writeAudit } from '@shared/audit.ts';
import { hashOpaqueToken } from '@shared/auth.ts';
import { findRefreshTokenByHash, revokeRefreshTokenFamily } from './refreshTokens.repo.ts';

/**
 * Ends the session the refresh token belongs to (its whole family). An unknown token is not an
 * error: the answer never tells whether a token existed.
 */
export async function logoutSession(db: Knex, props: { refreshToken: string; ip?: string }): Promise<void> {
  await db.transaction(async (trx) => {
    const token = await findRefreshTokenByHash(trx, hashOpaqueToken(props.refreshToken));
    if (!token) return;
    const revoked = await revokeRefreshTokenFamily(trx, token.family_id);
    if (revoked > 0) {
      await writeAudit(trx, { actorId: token.user_id, action: 'user.logged_out', subjectType: 'user', subjectId: token.user_id, ip: props.ip });
    }
  });
}
