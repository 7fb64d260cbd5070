import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import type { Bus } from '@shared/bus.ts';
import { findConversationForActor } from './findConversationForActor.ts';
import { deleteConversationRow } from './conversations.repo.ts';

/** Deletes a conversation with its messages; collab nodes hear of it after the commit and close its document. */
export async function deleteConversation(db: Knex, bus: Bus, props: { actor: Actor; id: string }): Promise<void> {
  const conversation = await db.transaction(async (trx) => {
    const row = await findConversationForActor(trx, props.actor, props.id, 'delete');
    await deleteConversationRow(trx, row.id);
    await writeAudit(trx, {
      actorId: props.actor.id, action: 'conversation.deleted', subjectType: 'conversation', subjectId: row.id, data: { title: row.title },
    });
    return row;
  });
  await bus.publish('conversation.deleted', {
    conversationId: conversation.id, workspaceId: conversation.workspace_id, actorId: props.actor.id,
  });
}
