import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { AppError, NotFoundError } from '@shared/errors.ts';
import { findConversationForActor } from '../conversations/findConversationForActor.ts';
import { findShare, type ShareRow } from './shares.repo.ts';

/** The one 404 every share answers when it cannot be used or seen: unknown, malformed, revoked, expired, used up or not yours. */
export const shareNotFound = () => new NotFoundError('Share not found');

/**
 * Loads a share for someone who must manage its conversation (to revoke it, or render its QR code).
 * Anyone else gets the same 404 as for an id that was never issued: a share id reveals nothing, not
 * even to members who may read the conversation. Inside a transaction the conversation row stays
 * locked until it ends, as `findConversationForActor` does for every action but reading.
 */
export async function findShareForManager(db: Knex, actor: Actor, shareId: string): Promise<ShareRow> {
  const share = await findShare(db, shareId);
  if (!share) throw shareNotFound();
  try {
    await findConversationForActor(db, actor, share.conversation_id, 'share');
  } catch (error) {
    if (error instanceof AppError && (error.status === 403 || error.status === 404)) throw shareNotFound();
    throw error;
  }
  return share;
}
