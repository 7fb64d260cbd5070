import { conversationPolicies } from '@shared/access/index.ts';
import type { Actor } from '@shared/auth.ts';
import type { BusMessage } from '@shared/bus.ts';
import { encodeCursor } from '../../http/cursor.ts';
import { presentAttachment } from '../attachments/attachment.presenter.ts';
import type { AttachmentRow } from '../attachments/attachments.repo.ts';
import type { ConversationRow, MessageRow } from './conversations.repo.ts';

/** The access model's view of a conversation row. */
export function accessFacts(row: ConversationRow) {
  return { id: row.id, ownerId: row.owner_id, workspaceId: row.workspace_id, workspaceRole: row.workspace_role ?? null };
}

export function presentConversation(row: ConversationRow, actor: Actor) {
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
    content: row.content,
    editedBy: row.edited_by,
    editedAt: row.edited_at?.toISOString() ?? null,
    attachments: (row.attachments ?? []).map(presentAttachment),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * A message as the bus carries it. Its attachments must be loaded: every event carries the whole list,
 * which listeners take as the message's files, so a row without them would strip them from documents.
 */
export function busMessage(row: MessageRow & { attachments: AttachmentRow[] }): BusMessage {
  return {
    id: row.id, role: row.role, authorId: row.author_id, content: row.content,
    createdAt: row.created_at.toISOString(), editedAt: row.edited_at?.toISOString() ?? null,
    attachments: row.attachments.map((attachment) => ({
      id: attachment.id, name: attachment.name, contentType: attachment.content_type, size: Number(attachment.size),
    })),
  };
}

/** `{ data, pagination }` from a page fetched with one extra row. */
export function presentPage<R extends { seq: string | number }, P>(rows: R[], limit: number, present: (row: R) => P) {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { data: page.map(present), pagination: { nextCursor: rows.length > limit && last ? encodeCursor(last.seq) : null } };
}
