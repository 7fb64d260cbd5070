import type { BusMessage } from '@shared/bus.ts';
import type { AttachmentRow } from '../attachments/attachments.repo.ts';
import type { MessageRow } from './conversations.repo.ts';

/**
 * A message as the bus carries it. Its attachments must be loaded: every event carries the whole list,
 * which listeners take as the message's files, so a row without them would strip them from documents.
 */
export function busMessage(row: MessageRow & { attachments: AttachmentRow[] }): BusMessage {
  return {
    id: row.id,
    role: row.role,
    authorId: row.author_id,
    serviceAccountId: row.service_account_id,
    content: row.content,
    createdAt: row.created_at.toISOString(),
    editedAt: row.edited_at?.toISOString() ?? null,
    attachments: row.attachments.map((attachment) => ({
      id: attachment.id,
      name: attachment.name,
      contentType: attachment.content_type,
      size: Number(attachment.size),
    })),
    execution: row.execution,
  };
}
