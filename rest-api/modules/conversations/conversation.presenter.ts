import { conversationPolicies, type UserOrService } from '@shared/access/index.ts';
import { presentAttachment } from '../attachments/attachment.presenter.ts';
import { accessFacts } from './conversationAccessFacts.ts';
import type { ConversationRow, MessageRow } from './conversations.repo.ts';

export function presentConversation(row: ConversationRow, actor: UserOrService) {
  return {
    id: row.id,
    title: row.title,
    ownerId: row.owner_id,
    workspaceId: row.workspace_id,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    policies: conversationPolicies(actor, accessFacts(row)),
  };
}

export function presentMessage(row: MessageRow) {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    role: row.role,
    authorId: row.author_id,
    serviceAccountId: row.service_account_id,
    content: row.content,
    editedBy: row.edited_by,
    editedAt: row.edited_at?.toISOString() ?? null,
    attachments: (row.attachments ?? []).map(presentAttachment),
    execution: row.execution,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
