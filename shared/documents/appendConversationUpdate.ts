import type { Knex } from 'knex';
import { queryPrepared } from '../db.ts';

/** How many times a batch is written again after conversations in it were found deleted. */
const MAX_ATTEMPTS = 3;

/**
 * Appends edits to their conversations' update logs, in the order given, in one statement (so one
 * commit). The collab server awaits this before it acknowledges an edit, so an acknowledged edit is in
 * PostgreSQL even if the node dies the next instant. Storing a document later folds its rows into
 * `conversation_states`.
 *
 * Edits of a conversation deleted while they waited are left out, and the others written: one
 * deletion must not fail every document's edits that share the commit. Resolves with the ids of the
 * conversations that were gone.
 */
export async function appendConversationUpdates(
  db: Knex,
  rows: ReadonlyArray<{ conversationId: string; update: Uint8Array }>,
): Promise<Set<string>> {
  const gone = new Set<string>();
  for (let attempt = 1; ; attempt++) {
    const kept = gone.size === 0 ? rows : rows.filter((row) => !gone.has(row.conversationId));
    if (kept.length === 0) return gone;
    try {
      await insertUpdates(db, kept);
      return gone;
    } catch (error) {
      if (!isForeignKeyViolation(error) || attempt === MAX_ATTEMPTS) throw error;
    }
    const ids = [...new Set(kept.map((row) => row.conversationId))];
    const existing = new Set<string>(await db('conversations').whereIn('id', ids).pluck('id'));
    for (const id of ids) if (!existing.has(id)) gone.add(id);
  }
}

async function insertUpdates(db: Knex, rows: ReadonlyArray<{ conversationId: string; update: Uint8Array }>): Promise<void> {
  const ids = rows.map((row) => row.conversationId);
  const updates = rows.map(({ update }) => Buffer.from(update.buffer, update.byteOffset, update.byteLength));
  // Every acknowledgement waits for this insert: a prepared statement keeps it short. `with ordinality`
  // keeps the rows' order, so ids grow in the order the edits arrived.
  const text = 'insert into conversation_updates (conversation_id, update) select c, u from unnest($1::uuid[], $2::bytea[]) with ordinality as t(c, u, n) order by n';
  if (await queryPrepared(db, { name: 'append_conversation_updates', text, values: [ids, updates] })) return;
  await db('conversation_updates').insert(rows.map((row, i) => ({ conversation_id: row.conversationId, update: updates[i] })));
}

/** True for PostgreSQL's foreign-key violation (23503): here, a conversation that no longer exists. */
function isForeignKeyViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '23503';
}
