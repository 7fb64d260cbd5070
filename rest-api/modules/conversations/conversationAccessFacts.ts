import type { ConversationAccessFacts } from '@shared/access/index.ts';
import type { ConversationRow } from './conversations.repo.ts';

/** The access model's view of a conversation row. */
export function accessFacts(row: ConversationRow): ConversationAccessFacts {
  return { id: row.id, ownerId: row.owner_id, workspaceId: row.workspace_id, workspaceRole: row.workspace_role ?? null };
}
