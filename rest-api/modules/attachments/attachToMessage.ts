import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { ConflictError, NotFoundError } from '@shared/errors.ts';
import { lockUploadedAttachments, setAttachmentsMessage, type AttachmentRow } from './attachments.repo.ts';

interface Props {
  /** Who posts the message; they must be who uploaded every attachment. */
  actor: Actor;
  conversationId: string;
  messageId: string;
  attachmentIds: string[];
}

/**
 * Puts attachments on a new message, inside the caller's transaction (the message's), so both commit
 * together. Each must be an attachment of this conversation that the actor uploaded — otherwise one
 * 404 for all the cases, as for anything not yours — and on no message yet (409). Returns them in
 * upload order.
 */
export async function attachToMessage(trx: Knex.Transaction, props: Props): Promise<AttachmentRow[]> {
  const ids = [...new Set(props.attachmentIds)];
  if (ids.length === 0) return [];
  const rows = await lockUploadedAttachments(trx, ids, props.conversationId, props.actor.id);
  if (rows.length !== ids.length) throw new NotFoundError('Attachment not found');
  if (rows.some((row) => row.message_id !== null)) {
    throw new ConflictError('An attachment is already on a message', 'attachment_already_attached');
  }
  await setAttachmentsMessage(trx, ids, props.messageId);
  return rows
    .map((row) => ({ ...row, message_id: props.messageId }))
    .sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || a.id.localeCompare(b.id));
}
