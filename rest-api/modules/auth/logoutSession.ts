import type { Knex } from 'knex';
import { writeAudit } from '@shared/audit.ts';
import { hashOpaqueToken } from '@shared/auth.ts';
import type { Bus } from '@shared/bus.ts';
import type { SessionRevocations } from '@shared/sessionRevocations.ts';
import { announceSessionsEnded, recordSessionsEnded } from './endAllSessions.ts';
import { findRefreshTokenByHash, revokeRefreshTokenFamily, revokeRefreshTokensOfUser } from './refreshTokens.repo.ts';

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
      await writeAudit(trx, {
        actorId: token.user_id,
        action: 'user.logged_out',
        subjectType: 'user',
        subjectId: token.user_id,
        ip: props.ip,
      });
    }
  });
}

/**
 * Signs the user out on every device: every refresh token is revoked, and every access token issued
 * until now stops working on both servers; open collaboration connections close.
 */
export async function logoutEverywhere(
  db: Knex,
  deps: { bus?: Bus; revocations?: SessionRevocations },
  props: { userId: string; ip?: string },
): Promise<void> {
  const ended = await db.transaction(async (trx) => {
    await revokeRefreshTokensOfUser(trx, props.userId);
    await writeAudit(trx, {
      actorId: props.userId,
      action: 'user.logged_out_everywhere',
      subjectType: 'user',
      subjectId: props.userId,
      ip: props.ip,
    });
    return recordSessionsEnded(trx, props.userId);
  });
  await announceSessionsEnded(deps, ended);
}
