import type { Knex } from 'knex';
import { authorize, type ConversationAction, type UserOrService } from '@shared/access/index.ts';
import { NotFoundError } from '@shared/errors.ts';
import { findWorkspaceRole } from '@shared/documents/findWorkspaceRole.ts';
import { accessFacts } from './conversationAccessFacts.ts';
import { findConversation, type ConversationRow } from './conversations.repo.ts';

/**
 * Loads a conversation and checks the action, for a person or a service account; missing and not-yours are the same 404. Any action but
 * `read` locks the row for the caller's transaction: two deletes, or a delete racing a rename or a
 * post, then run one after the other and the later one answers 404 rather than 500 or a second 204.
 */
export async function findConversationForActor(
  db: Knex,
  actor: UserOrService,
  id: string,
  action: ConversationAction,
): Promise<ConversationRow> {
  const row = await findConversation(db, id, { forUpdate: action !== 'read' });
  if (!row) throw new NotFoundError('Conversation not found');
  // A service account's scope travels with it; only a person has a role to look up.
  const role = actor.type === 'user' && row.workspace_id ? await findWorkspaceRole(db, row.workspace_id, actor.id) : null;
  const conversation = { ...row, workspace_role: role };
  authorize(actor, action, accessFacts(conversation));
  return conversation;
}
