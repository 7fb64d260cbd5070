import type { Knex } from 'knex';
import { auditActor, writeAudit } from '@shared/audit.ts';
import type { UserOrService } from '@shared/access/index.ts';
import type { Bus } from '@shared/bus.ts';
import { appendConversationUpdates } from '@shared/documents/appendConversationUpdate.ts';
import { appendToDraftUpdate } from '@shared/documents/conversationDraft.ts';
import { findConversationForActor } from './findConversationForActor.ts';

interface Props {
  /** Who writes: someone who may edit the conversation (`update`), else 403, or 404 when they may not read it. */
  actor: UserOrService;
  conversationId: string;
  /** Plain text; each line becomes a paragraph at the end of the draft. */
  text: string;
  /** The collab server's limit on a document (COLLAB_MAX_DOCUMENT_BYTES): an edit past it is refused. */
  maxDocumentBytes: number;
}

/**
 * Appends paragraphs to a conversation's shared draft, as updateConversation renames it: the edit is made
 * against the document as PostgreSQL holds it and appended to its update log in the same transaction, so
 * a node that loads the document later finds it; `draft.edited` carries the same edit to the nodes that
 * hold the document now, whose editors see it at once.
 */
export async function appendToDraft(db: Knex, bus: Bus, props: Props): Promise<void> {
  const edit = await db.transaction(async (trx) => {
    await findConversationForActor(trx, props.actor, props.conversationId, 'update');
    // Read under the row lock: no store can fold the log away between this read and the append.
    const update = await appendToDraftUpdate(trx, props.conversationId, props.text, props.maxDocumentBytes);
    if (!update) return undefined;
    await appendConversationUpdates(trx, [{ conversationId: props.conversationId, update }]);
    await writeAudit(trx, {
      ...auditActor(props.actor),
      action: 'draft.edited',
      subjectType: 'conversation',
      subjectId: props.conversationId,
    });
    return update;
  });
  if (edit) await bus.publish('draft.edited', { conversationId: props.conversationId, update: Buffer.from(edit).toString('base64') });
}
