import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import { findWorkspaceForActor } from '../workspaces/findWorkspaceForActor.ts';
import { insertConversation, type ConversationRow } from './conversations.repo.ts';

interface Props {
  actor: Actor;
  title: string;
  /** The workspace it belongs to (its members with the `createConversation` right); absent for a personal one. */
  workspaceId?: string;
}

/**
 * Creates a personal conversation, or one in a workspace the actor may create in (non-members get 404,
 * viewers 403). The workspace row is key-share locked so a concurrent workspace deletion cannot miss it.
 */
export async function createConversation(db: Knex, props: Props): Promise<ConversationRow> {
  return db.transaction(async (trx) => {
    const workspace = props.workspaceId
      ? await findWorkspaceForActor(trx, props.actor, props.workspaceId, 'createConversation', { lock: 'keyShare' })
      : undefined;
    const conversation = await insertConversation(trx, {
      owner_id: props.actor.id,
      workspace_id: workspace?.id ?? null,
      title: props.title,
    });
    await writeAudit(trx, {
      actorId: props.actor.id,
      action: 'conversation.created',
      subjectType: 'conversation',
      subjectId: conversation.id,
      ...(workspace ? { data: { workspaceId: workspace.id } } : {}),
    });
    return { ...conversation, workspace_role: workspace?.role ?? null };
  });
}
