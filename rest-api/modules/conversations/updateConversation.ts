import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import { findConversationForActor } from './findConversationForActor.ts';
import { updateConversationRow, type ConversationRow } from './conversations.repo.ts';

export async function updateConversation(db: Knex, props: { actor: Actor; id: string; title: string }): Promise<ConversationRow> {
  return db.transaction(async (trx) => {
    await findConversationForActor(trx, props.actor, props.id, 'update');
    const conversation = (await updateConversationRow(trx, props.id, { title: props.title }))!;
    await writeAudit(trx, { actorId: props.actor.id, action: 'conversation.updated', subjectType: 'conversation', subjectId: props.id });
    return conversation;
  });
}
