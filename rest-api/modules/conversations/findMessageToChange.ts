import type { Knex } from 'knex';
import { authorizeOnMessage, type MessageAction, type UserOrService } from '@shared/access/index.ts';
import { NotFoundError } from '@shared/errors.ts';
import { accessFacts } from './conversationAccessFacts.ts';
import { findConversationForActor } from './findConversationForActor.ts';
import { findMessage, type MessageRow } from './conversations.repo.ts';

/** Which message of which conversation an actor wants to change. */
export interface MessageChange {
  /** A person, or a service account (an API key). */
  actor: UserOrService;
  conversationId: string;
  messageId: string;
}

/**
 * Loads a message the actor may edit or delete (shared/access/message.ts), locking its conversation for
 * the caller's transaction; a missing message or conversation, or one the actor may not read, is one 404.
 */
export async function findMessageToChange(trx: Knex, props: MessageChange, action: MessageAction): Promise<MessageRow> {
  const conversation = await findConversationForActor(
    trx,
    props.actor,
    props.conversationId,
    action === 'edit' ? 'editMessage' : 'deleteMessage',
  );
  const message = await findMessage(trx, props.conversationId, props.messageId);
  if (!message) throw new NotFoundError('Message not found');
  authorizeOnMessage(props.actor, action, accessFacts(conversation), {
    authorId: message.author_id,
    serviceAccountId: message.service_account_id,
    role: message.role,
  });
  return message;
}
