import type { Logger } from '@shared/logger.ts';
import type { ObjectStorage } from '@shared/storage/index.ts';
import { conversationAttachmentsPrefix } from './attachmentKeys.ts';

/**
 * Deletes the stored objects of conversations whose deletion has committed (their attachment rows went
 * with them, by cascade). Rows go first, so no row ever points at a missing object; if this fails the
 * objects stay behind, unreferenced under the conversation's prefix, and it is logged, never thrown:
 * the conversation is deleted either way.
 */
export async function deleteConversationObjects(deps: { storage: ObjectStorage; log: Logger }, conversationIds: string[]): Promise<void> {
  for (const conversationId of conversationIds) {
    try {
      await deps.storage.deletePrefix(conversationAttachmentsPrefix(conversationId));
    } catch (error) {
      deps.log.error({ err: error, conversationId }, 'could not delete the attachment objects of a deleted conversation');
    }
  }
}
