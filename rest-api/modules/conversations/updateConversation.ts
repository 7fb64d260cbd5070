import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import type { Bus } from '@shared/bus.ts';
import { appendConversationUpdates } from '@shared/documents/appendConversationUpdate.ts';
import { renameDocumentUpdate } from '@shared/documents/documentTitle.ts';
import { findConversationForActor } from './findConversationForActor.ts';
import { updateConversationRow, type ConversationRow } from './conversations.repo.ts';

/**
 * Renames a conversation in the table and in its document at once (shared/documents/documentTitle.ts):
 * the rename is an edit to the document's title, appended to its update log in the same transaction,
 * so a node that loads the document later finds it; `conversation.renamed` carries the same edit to
 * the nodes that hold the document now, and drops cached share views.
 */
export async function updateConversation(db: Knex, bus: Bus, props: { actor: Actor; id: string; title: string }): Promise<ConversationRow> {
  const { conversation, rename } = await db.transaction(async (trx) => {
    await findConversationForActor(trx, props.actor, props.id, 'update');
    // Read under the row lock: no store can fold the log away between this read and the append.
    const edit = await renameDocumentUpdate(trx, props.id, props.title);
    const row = (await updateConversationRow(trx, props.id, { title: props.title }))!;
    if (edit) await appendConversationUpdates(trx, [{ conversationId: props.id, update: edit }]);
    await writeAudit(trx, { actorId: props.actor.id, action: 'conversation.updated', subjectType: 'conversation', subjectId: props.id });
    return { conversation: row, rename: edit };
  });
  await bus.publish('conversation.renamed', {
    conversationId: conversation.id,
    title: conversation.title,
    source: 'api',
    eventId: crypto.randomUUID(),
    ...(rename ? { update: Buffer.from(rename).toString('base64') } : {}),
  });
  return conversation;
}
