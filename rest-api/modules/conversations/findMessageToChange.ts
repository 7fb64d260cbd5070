import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { NotFoundError } from '@shared/errors.ts';
import { findConversationForActor } from './findConversationForActor.ts';
import { findMessage, type MessageRow } from './conversations.repo.ts';

/** Which message of which conversation an actor wants to change. */
export interface MessageChange {
  actor: Actor;
  conversationId: string;
  messageId: string;
}

/** Loads a message of a conversation the actor may change; missing or foreign is one 404. */
export async function findMessageToChange(trx: Knex, props: MessageChange, action: 'editMessage' | 'deleteMessage'): Promise<MessageRow> {
  await findConversationForActor(trx, props.actor, props.conversationId, action);
  const message = await findMessage(trx, props.conversationId, props.messageId);
  if (!message) throw new NotFoundError('Message not found');
  return message;
}
