import type { Knex } from 'knex';
import { mergeIntoState } from './mergeIntoState.ts';

/** What a store did. */
export type StoreOutcome =
  /** The state was written; `compactedUpdates` log rows were folded into it and deleted. */
  | { stored: true; bytes: number; compactedUpdates: number }
  /** The conversation no longer exists, so there is nothing to store into. */
  | { stored: false; reason: 'conversation_deleted' };

/**
 * Stores a document's state compactly and folds the update log into it, in one transaction.
 *
 * The new state is the merge of what this node holds, the state already stored and every log row read
 * here, so it covers each of those rows and they can go. Another node may have stored edits this node
 * has not received yet; merging the stored state keeps them. Rows appended while this runs are not read
 * and not deleted: they wait for the next store. Stores of one conversation run one at a time (an
 * advisory lock), and the conversation row is key-share locked so a concurrent delete waits for us.
 */
export async function storeConversationState(db: Knex, conversationId: string, state: Uint8Array): Promise<StoreOutcome> {
  return db.transaction(async (trx) => {
    const conversation = await trx('conversations').where({ id: conversationId }).forKeyShare().first<{ id: string } | undefined>('id');
    if (!conversation) return { stored: false, reason: 'conversation_deleted' } as const;
    await trx.raw("select pg_advisory_xact_lock(hashtextextended('conversation_states:' || ?::text, 0))", [conversationId]);

    const stored = await trx('conversation_states')
      .where({ conversation_id: conversationId })
      .first<{ state: Buffer } | undefined>('state');
    const rows = await trx('conversation_updates')
      .where({ conversation_id: conversationId })
      .orderBy('id')
      .select<Array<{ id: string; update: Buffer }>>('id', 'update');

    const parts = [...(stored ? [stored.state] : []), ...rows.map((row) => row.update), state];
    const compact = (await mergeIntoState(parts.map((part) => new Uint8Array(part)))).update;

    await trx('conversation_states')
      .insert({ conversation_id: conversationId, state: Buffer.from(compact), updated_at: trx.fn.now() })
      .onConflict('conversation_id')
      .merge(['state', 'updated_at']);
    if (rows.length > 0) {
      await trx('conversation_updates')
        .whereIn(
          'id',
          rows.map((row) => row.id),
        )
        .delete();
    }
    return { stored: true, bytes: compact.byteLength, compactedUpdates: rows.length } as const;
  });
}
