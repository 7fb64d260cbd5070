import type { Knex } from 'knex';
import { listAttachmentsOfMessages, type AttachmentRow } from './attachments.repo.ts';

/** Messages with their attachments (`attachments`, in upload order), read in one query for the whole page. */
export async function withAttachments<M extends { id: string }>(
  db: Knex,
  messages: M[],
): Promise<Array<M & { attachments: AttachmentRow[] }>> {
  const rows = await listAttachmentsOfMessages(
    db,
    messages.map((message) => message.id),
  );
  const byMessage = new Map<string, AttachmentRow[]>();
  for (const row of rows) byMessage.set(row.message_id!, [...(byMessage.get(row.message_id!) ?? []), row]);
  return messages.map((message) => ({ ...message, attachments: byMessage.get(message.id) ?? [] }));
}
