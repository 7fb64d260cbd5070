import type { Knex } from 'knex';
import { queryPrepared } from '../db.ts';

/** How many times a batch is written again after conversations in it were found deleted. */
const MAX_ATTEMPTS = 3;

/** A document title to keep in `conversations.title` (documentTitle.ts › titleForTable), with the edits that made it. */
export interface TitleChange {
  conversationId: string;
  title: string;
}

/** What a commit did besides logging: the conversations found deleted, and the titles that changed. */
export interface AppendOutcome {
  gone: Set<string>;
  renamed: TitleChange[];
}

/**
 * Appends edits to their conversations' update logs, in the order given, in one statement (so one
 * commit), and writes the titles those edits gave their documents into `conversations.title` in the
 * same statement: the table never misses a title change that was acknowledged (documentTitle.ts). The
 * collab server awaits this before it acknowledges an edit, so an acknowledged edit is in PostgreSQL
 * even if the node dies the next instant. Storing a document later folds its rows into
 * `conversation_states`.
 *
 * Edits of a conversation deleted while they waited are left out, and the others written: one
 * deletion must not fail every document's edits that share the commit.
 */
export async function appendConversationUpdates(
  db: Knex,
  rows: ReadonlyArray<{ conversationId: string; update: Uint8Array }>,
  titles: readonly TitleChange[] = [],
): Promise<AppendOutcome> {
  const gone = new Set<string>();
  for (let attempt = 1; ; attempt++) {
    const kept = gone.size === 0 ? rows : rows.filter((row) => !gone.has(row.conversationId));
    if (kept.length === 0) return { gone, renamed: [] };
    try {
      const renamed = await insertUpdates(
        db,
        kept,
        titles.filter((change) => !gone.has(change.conversationId)),
      );
      return { gone, renamed };
    } catch (error) {
      if (!isForeignKeyViolation(error) || attempt === MAX_ATTEMPTS) throw error;
    }
    const ids = [...new Set(kept.map((row) => row.conversationId))];
    const existing = new Set<string>(await db('conversations').whereIn('id', ids).pluck('id'));
    for (const id of ids) if (!existing.has(id)) gone.add(id);
  }
}

async function insertUpdates(
  db: Knex,
  rows: ReadonlyArray<{ conversationId: string; update: Uint8Array }>,
  titles: readonly TitleChange[],
): Promise<TitleChange[]> {
  const ids = rows.map((row) => row.conversationId);
  const updates = rows.map(({ update }) => Buffer.from(update.buffer, update.byteOffset, update.byteLength));
  if (titles.length === 0) {
    // Every acknowledgement waits for this insert: a prepared statement keeps it short. `with ordinality`
    // keeps the rows' order, so ids grow in the order the edits arrived.
    const text =
      'insert into conversation_updates (conversation_id, update) ' +
      'select c, u from unnest($1::uuid[], $2::bytea[]) with ordinality as t(c, u, n) order by n';
    if (await queryPrepared(db, { name: 'append_conversation_updates', text, values: [ids, updates] })) return [];
    await db('conversation_updates').insert(rows.map((row, i) => ({ conversation_id: row.conversationId, update: updates[i] })));
    return [];
  }
  // Rarer: someone edited a title. Both writes in one statement, so in one commit.
  const text = `with titled as (
      update conversations c set title = t.title, updated_at = now()
      from unnest($1::uuid[], $2::text[]) as t(id, title)
      where c.id = t.id and c.title is distinct from t.title
      returning c.id, c.title
    ), logged as (
      insert into conversation_updates (conversation_id, update)
      select c, u from unnest($3::uuid[], $4::bytea[]) with ordinality as t(c, u, n) order by n
    )
    select id, title from titled`;
  // In the order the placeholders appear, so the same text serves as a prepared statement and, with ?, as knex raw.
  const values = [titles.map((change) => change.conversationId), titles.map((change) => change.title), ids, updates];
  const renamed =
    (await queryPrepared<{ id: string; title: string }>(db, { name: 'append_conversation_updates_titled', text, values })) ??
    (await db.raw<{ rows: Array<{ id: string; title: string }> }>(text.replace(/\$\d/g, '?'), values)).rows;
  return renamed.map((row) => ({ conversationId: row.id, title: row.title }));
}

/** True for PostgreSQL's foreign-key violation (23503): here, a conversation that no longer exists. */
function isForeignKeyViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '23503';
}
