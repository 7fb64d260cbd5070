import type { Knex } from 'knex';
import { findAnalysesOfAttachments, type AttachmentAnalysis } from '../images/findAnalysesOfAttachments.ts';
import { listAttachmentsOfMessages, type AttachmentRow } from './attachments.repo.ts';

/** An attachment with the analysis of its image, when it was analysed as one. */
export type AttachmentWithAnalysis = AttachmentRow & { analysis: AttachmentAnalysis | null };

/** Messages with their attachments (`attachments`, in upload order, each with its image's analysis), in two queries for the whole page. */
export async function withAttachments<M extends { id: string }>(
  db: Knex,
  messages: M[],
): Promise<Array<M & { attachments: AttachmentWithAnalysis[] }>> {
  const rows = await listAttachmentsOfMessages(
    db,
    messages.map((message) => message.id),
  );
  const analyses = await findAnalysesOfAttachments(
    db,
    rows.filter((row) => row.content_type.startsWith('image/')).map((row) => row.id),
  );
  const byMessage = new Map<string, AttachmentWithAnalysis[]>();
  for (const attachment of rows) {
    const row = { ...attachment, analysis: analyses.get(attachment.id) ?? null };
    byMessage.set(row.message_id!, [...(byMessage.get(row.message_id!) ?? []), row]);
  }
  return messages.map((message) => ({ ...message, attachments: byMessage.get(message.id) ?? [] }));
}
