import type { Knex } from 'knex';
import { auditActor, writeAudit } from '@shared/audit.ts';
import type { Bus } from '@shared/bus.ts';
import type { AttachmentRow } from '../attachments/attachments.repo.ts';
import { withAttachments } from '../attachments/withAttachments.ts';
import { busMessage } from './messageEvent.ts';
import { updateMessageRow, type MessageRow } from './conversations.repo.ts';
import { findMessageToChange, type MessageChange } from './findMessageToChange.ts';

/**
 * Replaces the text of one's own message, recording who edited it (a person; a service account's own
 * edits leave `edited_by` null, since only it may edit its messages) and when; the text it replaces is
 * kept in the audit log, so an edit can always be traced back. Returns the message with its
 * attachments, which the event carries too.
 */
export async function updateMessage(
  db: Knex,
  bus: Bus,
  props: MessageChange & { content: string },
): Promise<MessageRow & { attachments: AttachmentRow[] }> {
  const message = await db.transaction(async (trx) => {
    const before = await findMessageToChange(trx, props, 'edit');
    const row = await updateMessageRow(trx, props.messageId, {
      content: props.content,
      editedBy: props.actor.type === 'user' ? props.actor.id : null,
    });
    await writeAudit(trx, {
      ...auditActor(props.actor),
      action: 'message.updated',
      subjectType: 'conversation',
      subjectId: props.conversationId,
      data: { messageId: row.id, previousContent: before.content },
    });
    const [withFiles] = await withAttachments(trx, [row]);
    return withFiles!;
  });
  await bus.publish('message.updated', { conversationId: props.conversationId, message: busMessage(message) });
  return message;
}
