import type { Knex } from 'knex';
import { authorizeMessageRole, type MessageRole, type UserOrService } from '@shared/access/index.ts';
import { auditActor, writeAudit } from '@shared/audit.ts';
import type { Bus } from '@shared/bus.ts';
import { NotFoundError } from '@shared/errors.ts';
import { attachToMessage } from '../attachments/attachToMessage.ts';
import type { AttachmentRow } from '../attachments/attachments.repo.ts';
import { busMessage } from './messageEvent.ts';
import { findConversationForActor } from './findConversationForActor.ts';
import { insertMessage, type MessageRow } from './conversations.repo.ts';

interface Props {
  /** A person (who posts `user` messages) or a service account (`assistant` and `system`). */
  actor: UserOrService;
  conversationId: string;
  role: MessageRole;
  content: string;
  /** Attachments the actor uploaded to this conversation, to put on the message. */
  attachmentIds?: string[];
}

/**
 * Appends a message with its attachments (all or none: a bad attachment id fails the whole post); open
 * documents receive it through `message.created` once it is committed. Who may post which role is the
 * access model's (shared/access/message.ts): checked after the conversation, so a conversation the
 * actor may not read stays a 404, and before anything is written. The message records its poster: a
 * person in `author_id`, a service account in `service_account_id`.
 */
export async function postMessage(db: Knex, bus: Bus, props: Props): Promise<MessageRow & { attachments: AttachmentRow[] }> {
  const { actor } = props;
  const message = await db.transaction(async (trx) => {
    await findConversationForActor(trx, actor, props.conversationId, 'postMessage');
    authorizeMessageRole(actor, props.role);
    const attachmentIds = props.attachmentIds ?? [];
    // Only people upload, so a service account has nothing it could attach: the same 404 as another's file.
    if (actor.type === 'service' && attachmentIds.length > 0) throw new NotFoundError('Attachment not found');
    const row = await insertMessage(trx, {
      conversation_id: props.conversationId,
      author_id: actor.type === 'user' ? actor.id : null,
      service_account_id: actor.type === 'service' ? actor.id : null,
      role: props.role,
      content: props.content,
    });
    const attachments =
      actor.type === 'user'
        ? await attachToMessage(trx, { actor, conversationId: props.conversationId, messageId: row.id, attachmentIds })
        : [];
    await writeAudit(trx, {
      ...auditActor(actor),
      action: 'message.created',
      subjectType: 'conversation',
      subjectId: props.conversationId,
      data: { messageId: row.id, role: row.role, ...(attachments.length > 0 ? { attachmentIds: attachments.map((a) => a.id) } : {}) },
    });
    return { ...row, attachments };
  });
  await bus.publish('message.created', { conversationId: props.conversationId, message: busMessage(message) });
  return message;
}
