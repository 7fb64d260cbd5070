import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { findWorkspaceForActor } from '../workspaces/findWorkspaceForActor.ts';
import { listConversationsInWorkspace, listConversationsOwnedBy, type ConversationRow } from './conversations.repo.ts';

interface Props {
  actor: Actor;
  /** A workspace the actor belongs to (404 otherwise); absent for the actor's personal conversations. */
  workspaceId?: string;
  limit: number;
  /** The `seq` the previous page ended at. */
  after?: string;
}

/** One page (plus one row) of the conversations the actor asked for, each with the actor's workspace role. */
export async function listConversationsForActor(db: Knex, props: Props): Promise<ConversationRow[]> {
  const page = { limit: props.limit, after: props.after };
  if (!props.workspaceId) return listConversationsOwnedBy(db, props.actor.id, page);
  const workspace = await findWorkspaceForActor(db, props.actor, props.workspaceId, 'read');
  const rows = await listConversationsInWorkspace(db, workspace.id, page);
  return rows.map((row) => ({ ...row, workspace_role: workspace.role }));
}
