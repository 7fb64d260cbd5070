import type { Knex } from 'knex';

export interface AttachmentRow {
  id: string;
  conversation_id: string;
  message_id: string | null;
  uploaded_by: string | null;
  name: string;
  content_type: string;
  /** bigint: PostgreSQL hands it over as a string. */
  size: string | number;
  sha256: string;
  storage_key: string;
  created_at: Date;
}

export async function insertAttachment(db: Knex, row: Omit<AttachmentRow, 'id' | 'message_id' | 'created_at'>): Promise<AttachmentRow> {
  const [inserted] = await db<AttachmentRow>('attachments').insert(row).returning('*');
  return inserted!;
}

export function findAttachment(db: Knex, id: string): Promise<AttachmentRow | undefined> {
  return db<AttachmentRow>('attachments').where({ id }).first();
}

/**
 * The attachments among `ids` that belong to the conversation and were uploaded by the user, locked
 * until the caller's transaction ends, so two messages cannot both take the same one.
 */
export function lockUploadedAttachments(db: Knex, ids: string[], conversationId: string, uploadedBy: string): Promise<AttachmentRow[]> {
  return db<AttachmentRow>('attachments')
    .whereIn('id', ids)
    .andWhere({ conversation_id: conversationId, uploaded_by: uploadedBy })
    .forUpdate();
}

export async function setAttachmentsMessage(db: Knex, ids: string[], messageId: string): Promise<void> {
  await db('attachments').whereIn('id', ids).update({ message_id: messageId });
}

/** The attachments of these messages, in upload order. */
export function listAttachmentsOfMessages(db: Knex, messageIds: string[]): Promise<AttachmentRow[]> {
  if (messageIds.length === 0) return Promise.resolve([]);
  return db<AttachmentRow>('attachments')
    .whereIn('message_id', messageIds)
    .orderBy([{ column: 'created_at' }, { column: 'id' }]);
}
