import type { Knex } from 'knex';
import { authorize, type ConversationAction, type Principal } from '@shared/access/index.ts';
import { findConversationAccessFacts } from '@shared/documents/findConversationAccessFacts.ts';
import { NotFoundError } from '@shared/errors.ts';
import { findConversationForActor } from '../conversations/findConversationForActor.ts';

/**
 * Checks that the principal may do `action` to the conversation, as REST does: a person or a service
 * account through findConversationForActor, a share token's holder through the share as stored now.
 * Missing and not-yours are the same NotFoundError; readable but not this, ForbiddenError.
 */
export async function authorizeConversation(db: Knex, principal: Principal, id: string, action: ConversationAction): Promise<void> {
  if (principal.type !== 'share') {
    await findConversationForActor(db, principal, id, action);
    return;
  }
  const facts = await findConversationAccessFacts(db, id, principal);
  if (!facts) throw new NotFoundError('Conversation not found');
  authorize(principal, action, facts);
}
