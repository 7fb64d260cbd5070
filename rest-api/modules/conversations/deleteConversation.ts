import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import type { Bus } from '@shared/bus.ts';
import type { Logger } from '@shared/logger.ts';
import type { ObjectStorage } from '@shared/storage/index.ts';
import { deleteConversationObjects } from '../attachments/deleteConversationObjects.ts';
import { findConversationForActor } from './findConversationForActor.ts';
import { deleteConversationRow } from './conversations.repo.ts';

/**
 * Deletes a conversation with its messages and attachments; collab nodes hear of it after the commit
 * and close its document, and the attachments' stored objects go last (`objects`).
 */
export async function deleteConversation(
  db: Knex,
  bus: Bus,
  props: { actor: Actor; id: string },
  objects: { storage: ObjectStorage; log: Logger },
): Promise<void> {
  const conversation = await db.transaction(async (trx) => {
    const row = await findConversationForActor(trx, props.actor, props.id, 'delete');
    await deleteConversationRow(trx, row.id);
    await writeAudit(trx, {
      actorId: props.actor.id,
      action: 'conversation.deleted',
      subjectType: 'conversation',
      subjectId: row.id,
      data: { title: row.title },
    });
    return row;
  });
  await bus.publish('conversation.deleted', {
    conversationId: conversation.id,
    workspaceId: conversation.workspace_id,
    actorId: props.actor.id,
  });
  await deleteConversationObjects(objects, [conversation.id]);
}
