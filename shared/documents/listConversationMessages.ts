import type { Knex } from 'knex';
import type { DocumentMessage } from './conversationDocument.ts';

interface MessageRow {
  id: string;
  role: DocumentMessage['role'];
  author_id: string | null;
  content: string;
  created_at: Date;
  edited_at: Date | null;
}

/** A conversation's messages in the order the REST API lists them, shaped as the document holds them. */
export async function listConversationMessages(db: Knex, conversationId: string): Promise<DocumentMessage[]> {
  const rows: MessageRow[] = await db('messages')
    .where({ conversation_id: conversationId })
    .orderBy('seq')
    .select('id', 'role', 'author_id', 'content', 'created_at', 'edited_at');
  return rows.map((row) => ({
    id: row.id,
    role: row.role,
    author: row.author_id,
    content: row.content,
    createdAt: row.created_at.toISOString(),
    editedAt: row.edited_at?.toISOString() ?? null,
  }));
}
