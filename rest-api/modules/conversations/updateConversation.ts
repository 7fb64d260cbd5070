import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import type { Bus } from '@shared/bus.ts';
import { findConversationForActor } from './findConversationForActor.ts';
import { updateConversationRow, type ConversationRow } from './conversations.repo.ts';

/** Renames a conversation; open documents and cached share views follow through `conversation.renamed`. */
export async function updateConversation(db: Knex, bus: Bus, props: { actor: Actor; id: string; title: string }): Promise<ConversationRow> {
  const conversation = await db.transaction(async (trx) => {
    await findConversationForActor(trx, props.actor, props.id, 'update');
    const row = (await updateConversationRow(trx, props.id, { title: props.title }))!;
    await writeAudit(trx, { actorId: props.actor.id, action: 'conversation.updated', subjectType: 'conversation', subjectId: props.id });
    return row;
  });
  await bus.publish('conversation.renamed', { conversationId: conversation.id, title: conversation.title, source: 'api', eventId: crypto.randomUUID() });
  return conversation;
}
