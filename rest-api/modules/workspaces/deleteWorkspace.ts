import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import type { Bus } from '@shared/bus.ts';
import type { Logger } from '@shared/logger.ts';
import type { ObjectStorage } from '@shared/storage/index.ts';
import { deleteConversationObjects } from '../attachments/deleteConversationObjects.ts';
import { deleteWorkspaceConversations } from '../conversations/deleteWorkspaceConversations.ts';
import { findWorkspaceForActor } from './findWorkspaceForActor.ts';
import { deleteWorkspaceRow } from './workspaces.repo.ts';

interface Props {
  /** Must be the workspace's owner. */
  actor: Actor;
  /** The workspace to delete. */
  id: string;
}

/**
 * Deletes a workspace with its conversations, members and invitations in one transaction. The row
 * lock makes a conversation created concurrently either land before (and be deleted here) or fail
 * after. Once committed, every conversation's deletion is announced so collab nodes close them, and
 * their attachments' stored objects are deleted (`objects`).
 */
export async function deleteWorkspace(db: Knex, bus: Bus, props: Props, objects: { storage: ObjectStorage; log: Logger }): Promise<void> {
  const conversationIds = await db.transaction(async (trx) => {
    const workspace = await findWorkspaceForActor(trx, props.actor, props.id, 'delete', { lock: 'update' });
    const ids = await deleteWorkspaceConversations(trx, { actor: props.actor, workspaceId: workspace.id });
    await deleteWorkspaceRow(trx, workspace.id);
    await writeAudit(trx, {
      actorId: props.actor.id,
      action: 'workspace.deleted',
      subjectType: 'workspace',
      subjectId: workspace.id,
      data: { name: workspace.name, slug: workspace.slug, conversations: ids.length },
    });
    return ids;
  });
  for (const conversationId of conversationIds) {
    await bus.publish('conversation.deleted', { conversationId, workspaceId: props.id, actorId: props.actor.id });
  }
  await deleteConversationObjects(objects, conversationIds);
}
