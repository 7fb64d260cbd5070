import type { Knex } from 'knex';
import type { DocumentAttachment, DocumentExecution, DocumentMessage } from './conversationDocument.ts';

interface MessageRow {
  id: string;
  role: DocumentMessage['role'];
  author_id: string | null;
  service_account_id: string | null;
  content: string;
  created_at: Date;
  edited_at: Date | null;
  /** json_agg of the message's attachments, already in document shape. */
  attachments: DocumentAttachment[] | null;
  execution: DocumentExecution | null;
}

/**
 * A conversation's messages in the order the REST API lists them, shaped as the document holds them,
 * with their attachments in upload order. One statement for all of it: the attachments are aggregated
 * per message inside the query (by the `message_id` index), and messages and files come from the same
 * snapshot, so a message posted meanwhile is either there with its files or not there at all.
 */
export async function listConversationMessages(db: Knex, conversationId: string): Promise<DocumentMessage[]> {
  const attachments = db.raw(
    `(select json_agg(json_build_object('id', a.id, 'name', a.name, 'contentType', a.content_type, 'size', a.size)
        order by a.created_at, a.id)
      from attachments a where a.message_id = m.id) as attachments`,
  );
  const rows: MessageRow[] = await db('messages as m')
    .where({ 'm.conversation_id': conversationId })
    .orderBy('m.seq')
    .select(
      'm.id',
      'm.role',
      'm.author_id',
      'm.service_account_id',
      'm.content',
      'm.created_at',
      'm.edited_at',
      'm.execution',
      attachments,
    );
  return rows.map((row) => ({
    id: row.id,
    role: row.role,
    author: row.author_id,
    serviceAccount: row.service_account_id,
    content: row.content,
    createdAt: row.created_at.toISOString(),
    editedAt: row.edited_at?.toISOString() ?? null,
    attachments: (row.attachments ?? []).map((attachment) => ({ ...attachment, size: Number(attachment.size) })),
    execution: row.execution,
  }));
}
