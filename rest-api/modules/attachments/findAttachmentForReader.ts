import type { Knex } from 'knex';
import { can, type Principal } from '@shared/access/index.ts';
import { findConversationAccessFacts } from '@shared/documents/findConversationAccessFacts.ts';
import { NotFoundError } from '@shared/errors.ts';
import { findAttachment, type AttachmentRow } from './attachments.repo.ts';

/**
 * An attachment, for a principal who may read its conversation: its owner, a workspace member, or the
 * holder of a live share token for it. Missing and not-yours are the same 404.
 */
export async function findAttachmentForReader(db: Knex, principal: Principal, id: string): Promise<AttachmentRow> {
  const row = await findAttachment(db, id);
  const facts = row && (await findConversationAccessFacts(db, row.conversation_id, principal));
  if (!row || !facts || !can(principal, 'read', facts)) throw new NotFoundError('Attachment not found');
  return row;
}
