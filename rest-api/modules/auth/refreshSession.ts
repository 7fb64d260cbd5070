import type { Knex } from 'knex';
import { writeAudit } from '@shared/audit.ts';
import { hashOpaqueToken } from '@shared/auth.ts';
import { AuthenticationError } from '@shared/errors.ts';
import type { Bus } from '@shared/bus.ts';
import type { SessionRevocations } from '@shared/sessionRevocations.ts';
import { issueSession, type Session, type SessionSettings } from './issueSession.ts';
import { findRefreshTokenForUpdate, markRefreshTokenUsed, revokeRefreshTokenFamily } from './refreshTokens.repo.ts';
import { announceSessionsEnded, recordSessionsEnded } from './endAllSessions.ts';
import { findUserById } from './users.repo.ts';

const invalid = () => new AuthenticationError('Invalid refresh token', 'token_invalid');

/**
 * Exchanges a refresh token for a new pair; the presented token is spent. Presenting a spent token
 * again means it was copied: the whole family is revoked, so the thief's and the owner's newer tokens
 * both stop working and the owner must sign in again. Every access token the user holds stops working
 * too (shared/sessionRevocations.ts), on both servers: one of them may be the thief's.
 */
export async function refreshSession(
  db: Knex,
  settings: SessionSettings,
  props: { refreshToken: string; ip?: string; bus?: Bus; revocations?: SessionRevocations },
): Promise<Session> {
  const outcome = await db.transaction(async (trx) => {
    const token = await findRefreshTokenForUpdate(trx, hashOpaqueToken(props.refreshToken));
    if (!token || token.revoked_at) return { error: invalid() };
    if (token.used_at) {
      // Commit the revocation before failing: a rollback would leave the stolen family alive.
      await revokeRefreshTokenFamily(trx, token.family_id);
      const ended = await recordSessionsEnded(trx, token.user_id);
      await writeAudit(trx, {
        actorId: token.user_id,
        action: 'refresh_token.reused',
        subjectType: 'user',
        subjectId: token.user_id,
        ip: props.ip,
        data: { familyId: token.family_id },
      });
      return { error: invalid(), ended };
    }
    if (token.expires_at.getTime() <= Date.now()) {
      return { error: new AuthenticationError('Refresh token expired', 'token_expired') };
    }
    const user = await findUserById(trx, token.user_id);
    if (!user) return { error: invalid() };
    await markRefreshTokenUsed(trx, token.id);
    return { session: await issueSession(trx, settings, user, token.family_id) };
  });
  if (outcome.ended) await announceSessionsEnded(props, outcome.ended);
  if (outcome.error) throw outcome.error;
  return outcome.session;
}
