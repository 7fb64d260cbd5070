import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { generateOpaqueToken, hashOpaqueToken, signAccessToken, type TokenSettings } from '@shared/auth.ts';
import { insertRefreshToken } from './refreshTokens.repo.ts';
import type { UserRow } from './users.repo.ts';

export interface SessionSettings {
  tokens: TokenSettings;
  refreshTokenTtlDays: number;
}

/** What login, register and refresh produce; the route presents it (user.presenter.ts › presentSession). */
export type Session = {
  accessToken: string;
  refreshToken: string;
  /** Access token lifetime, in seconds. */
  expiresIn: number;
  user: UserRow;
};

/**
 * Mints an access token and a refresh token for a user. A new login starts a new family; a refresh
 * continues its family, so that a replay can revoke everything descended from one login.
 */
export async function issueSession(
  db: Knex,
  settings: SessionSettings,
  user: UserRow,
  familyId: string = crypto.randomUUID(),
): Promise<Session> {
  const refreshToken = generateOpaqueToken();
  await insertRefreshToken(db, {
    user_id: user.id,
    family_id: familyId,
    token_hash: hashOpaqueToken(refreshToken),
    expires_at: new Date(Date.now() + settings.refreshTokenTtlDays * 86_400_000),
  });
  return {
    accessToken: signAccessToken(settings.tokens, user.id, user.session_generation),
    refreshToken,
    expiresIn: settings.tokens.accessTokenTtlSeconds,
    user,
  };
}
