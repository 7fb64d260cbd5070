import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import type { Logger } from '@shared/logger.ts';
import type { ObjectStorage } from '@shared/storage/index.ts';
import { findConversationForActor } from '../conversations/findConversationForActor.ts';
import { insertAttachment, type AttachmentRow } from './attachments.repo.ts';

interface Deps {
  db: Knex;
  storage: ObjectStorage;
  log: Logger;
}

interface Props {
  actor: Actor;
  conversationId: string;
  /** The file, already in storage. */
  file: {
    /** Its storage key. */
    key: string;
    /** The sanitized display name. */
    name: string;
    /** Sniffed from its bytes. */
    contentType: string;
    size: number;
    sha256: string;
  };
}

/**
 * Records a file that has reached storage as an attachment of the conversation, not yet on a message.
 * Access is checked again under the conversation's row lock — it may have been deleted, or the actor
 * removed, while the bytes streamed — and when the row cannot be written the object is deleted, so
 * no object outlives a refused upload.
 */
export async function createAttachment(deps: Deps, props: Props): Promise<AttachmentRow> {
  const { actor, conversationId, file } = props;
  try {
    return await deps.db.transaction(async (trx) => {
      await findConversationForActor(trx, actor, conversationId, 'postMessage');
      const row = await insertAttachment(trx, {
        conversation_id: conversationId,
        uploaded_by: actor.id,
        name: file.name,
        content_type: file.contentType,
        size: file.size,
        sha256: file.sha256,
        storage_key: file.key,
      });
      await writeAudit(trx, {
        actorId: actor.id,
        action: 'attachment.created',
        subjectType: 'conversation',
        subjectId: conversationId,
        data: { attachmentId: row.id, contentType: file.contentType, size: file.size },
      });
      return row;
    });
  } catch (error) {
    await deps.storage.delete(file.key).catch((cleanupError: unknown) => {
      deps.log.error({ err: cleanupError, key: file.key }, 'could not delete the object of a refused attachment');
    });
    throw error;
  }
}
