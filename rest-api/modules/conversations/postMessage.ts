import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import type { Bus } from '@shared/bus.ts';
import { attachToMessage } from '../attachments/attachToMessage.ts';
import { busMessage } from './messageEvent.ts';
import { findConversationForActor } from './findConversationForActor.ts';
import { insertMessage, type MessageRow } from './conversations.repo.ts';

interface Props {
  actor: Actor;
  conversationId: string;
  role: MessageRow['role'];
  content: string;
  /** Attachments the actor uploaded to this conversation, to put on the message. */
  attachmentIds?: string[];
}

/**
 * Appends a message with its attachments (all or none: a bad attachment id fails the whole post); open
 * documents receive it through `message.created` once it is committed.
 */
export async function postMessage(db: Knex, bus: Bus, props: Props): Promise<MessageRow> {
  const message = await db.transaction(async (trx) => {
    await findConversationForActor(trx, props.actor, props.conversationId, 'postMessage');
    const row = await insertMessage(trx, {
      conversation_id: props.conversationId, author_id: props.actor.id, role: props.role, content: props.content,
    });
    const attachments = await attachToMessage(trx, {
      actor: props.actor, conversationId: props.conversationId, messageId: row.id, attachmentIds: props.attachmentIds ?? [],
    });
    await writeAudit(trx, {
      actorId: props.actor.id, action: 'message.created', subjectType: 'conversation', subjectId: props.conversationId,
      data: { messageId: row.id, role: row.role, ...(attachments.length > 0 ? { attachmentIds: attachments.map((a) => a.id) } : {}) },
    });
    return { ...row, attachments };
  });
  await bus.publish('message.created', { conversationId: props.conversationId, message: busMessage(message) });
  return message;
}
