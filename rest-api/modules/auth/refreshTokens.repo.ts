import type { Knex } from 'knex';

export interface RefreshTokenRow {
  id: string;
  user_id: string;
  family_id: string;
  token_hash: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
  created_at: Date;
}

export async function insertRefreshToken(
  db: Knex,
  token: Pick<RefreshTokenRow, 'user_id' | 'family_id' | 'token_hash' | 'expires_at'>,
): Promise<void> {
  await db('refresh_tokens').insert(token);
}

/** Locks the row so that two concurrent refreshes of one token cannot both succeed. */
export function findRefreshTokenForUpdate(trx: Knex.Transaction, tokenHash: string): Promise<RefreshTokenRow | undefined> {
  return trx<RefreshTokenRow>('refresh_tokens').where({ token_hash: tokenHash }).forUpdate().first();
}

export async function markRefreshTokenUsed(db: Knex, id: string): Promise<void> {
  await db('refresh_tokens').where({ id }).update({ used_at: db.fn.now() });
}

/** Revokes every live token of a family; returns how many it revoked. */
export function revokeRefreshTokenFamily(db: Knex, familyId: string): Promise<number> {
  return db('refresh_tokens').where({ family_id: familyId }).whereNull('revoked_at').update({ revoked_at: db.fn.now() });
}

export function revokeRefreshTokensOfUser(db: Knex, userId: string): Promise<number> {
  return db('refresh_tokens').where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: db.fn.now() });
}

export function findRefreshTokenByHash(db: Knex, tokenHash: string): Promise<RefreshTokenRow | undefined> {
  return db<RefreshTokenRow>('refresh_tokens').where({ token_hash: tokenHash }).first();
}
