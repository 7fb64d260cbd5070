import type { Knex } from 'knex';
import { writeAudit } from '@shared/audit.ts';
import type { Bus } from '@shared/bus.ts';
import { busMessage } from './conversation.presenter.ts';
import { updateMessageRow, type MessageRow } from './conversations.repo.ts';
import { findMessageToChange, type MessageChange } from './findMessageToChange.ts';

/** Replaces a message's content. */
export async function updateMessage(db: Knex, bus: Bus, props: MessageChange & { content: string }): Promise<MessageRow> {
  const message = await db.transaction(async (trx) => {
    await findMessageToChange(trx, props, 'editMessage');
    const row = await updateMessageRow(trx, props.messageId, props.content);
    await writeAudit(trx, {
      actorId: props.actor.id, action: 'message.updated', subjectType: 'conversation', subjectId: props.conversationId,
      data: { messageId: row.id },
    });
    return row;
  });
  await bus.publish('message.updated', { conversationId: props.conversationId, message: busMessage(message) });
  return message;
}
