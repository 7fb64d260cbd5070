import type { Knex } from 'knex';
import { auditActor, writeAudit } from '@shared/audit.ts';
import type { Bus } from '@shared/bus.ts';
import { deleteMessageRow } from './conversations.repo.ts';
import { findMessageToChange, type MessageChange } from './findMessageToChange.ts';

/** Removes a message: one's own, or anyone's for whoever manages or owns the conversation. */
export async function deleteMessage(db: Knex, bus: Bus, props: MessageChange): Promise<void> {
  await db.transaction(async (trx) => {
    await findMessageToChange(trx, props, 'delete');
    await deleteMessageRow(trx, props.messageId);
    await writeAudit(trx, {
      ...auditActor(props.actor),
      action: 'message.deleted',
      subjectType: 'conversation',
      subjectId: props.conversationId,
      data: { messageId: props.messageId },
    });
  });
  await bus.publish('message.deleted', { conversationId: props.conversationId, messageId: props.messageId });
}
