import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import { deleteConversationsInWorkspace } from './conversations.repo.ts';

interface Props {
  /** Whoever deletes the workspace; the caller has authorized them. */
  actor: Actor;
  workspaceId: string;
}

/**
 * Deletes a workspace's conversations inside the caller's transaction (the workspace deletion), so the
 * two commit together; returns their ids for the caller to announce once committed.
 */
export async function deleteWorkspaceConversations(trx: Knex.Transaction, props: Props): Promise<string[]> {
  const deleted = await deleteConversationsInWorkspace(trx, props.workspaceId);
  for (const conversation of deleted) {
    await writeAudit(trx, {
      actorId: props.actor.id,
      action: 'conversation.deleted',
      subjectType: 'conversation',
      subjectId: conversation.id,
      data: { title: conversation.title, workspaceId: props.workspaceId },
    });
  }
  return deleted.map((conversation) => conversation.id);
}
