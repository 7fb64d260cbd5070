import type { Knex } from 'knex';
import type { Bus } from '@shared/bus.ts';
import type { SessionRevocations } from '@shared/sessionRevocations.ts';
import { markSessionsRevoked } from './users.repo.ts';

/** What ends every session of a user, once the transaction that recorded it has committed. */
export interface SessionsEnded {
  userId: string;
  revokedAt: string;
  /** The generation the user's tokens carry from now on. */
  generation: number;
}

/** Records, in the caller's transaction, that every access token the user holds now is void. */
export async function recordSessionsEnded(trx: Knex, userId: string): Promise<SessionsEnded> {
  const { generation, at } = await markSessionsRevoked(trx, userId);
  return { userId, revokedAt: at.toISOString(), generation };
}

/**
 * Makes it so, after the commit: this node refuses the old access tokens at once, the other REST nodes
 * and the collab nodes as soon as the bus brings them the event (collab nodes also close the user's
 * connections).
 */
export async function announceSessionsEnded(deps: { bus?: Bus; revocations?: SessionRevocations }, ended: SessionsEnded): Promise<void> {
  deps.revocations?.revoke(ended.userId, ended.generation, Date.parse(ended.revokedAt));
  await deps.bus?.publish('user.sessions_revoked', ended);
}
