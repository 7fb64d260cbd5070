import type { Knex } from 'knex';
import { queryPrepared } from '../db.ts';

/**
 * Appends edits to their conversations' update logs, in the order given, in one statement (so one
 * commit). The collab server awaits this before it acknowledges an edit, so an acknowledged edit is in
 * PostgreSQL even if the node dies the next instant. Storing a document later folds its rows into
 * `conversation_states`.
 */
export async function appendConversationUpdates(db: Knex, rows: ReadonlyArray<{ conversationId: string; update: Uint8Array }>): Promise<void> {
  const ids = rows.map((row) => row.conversationId);
  const updates = rows.map(({ update }) => Buffer.from(update.buffer, update.byteOffset, update.byteLength));
  // Every acknowledgement waits for this insert: a prepared statement keeps it short. `with ordinality`
  // keeps the rows' order, so ids grow in the order the edits arrived.
  const text = 'insert into conversation_updates (conversation_id, update) select c, u from unnest($1::uuid[], $2::bytea[]) with ordinality as t(c, u, n) order by n';
  if (await queryPrepared(db, { name: 'append_conversation_updates', text, values: [ids, updates] })) return;
  await db('conversation_updates').insert(rows.map((row, i) => ({ conversation_id: row.conversationId, update: updates[i] })));
}

/** Appends one edit to its conversation's update log. */
export function appendConversationUpdate(db: Knex, conversationId: string, update: Uint8Array): Promise<void> {
  return appendConversationUpdates(db, [{ conversationId, update }]);
}
