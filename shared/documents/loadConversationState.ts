import type { Knex } from 'knex';
import { mergeIntoState } from './mergeIntoState.ts';

/** What PostgreSQL holds for a conversation's document. */
export interface LoadedConversationState {
  /** The stored state and every logged edit since, merged into one Yjs update; null when there is none. */
  update: Uint8Array | null;
  /** How many log rows were merged in (edits acknowledged since the state was last stored). */
  loggedUpdates: number;
  /** Log rows that are not valid Yjs updates and were left out (never expected: edits are checked before they are logged). */
  skippedUpdates: number;
}

/**
 * Loads a conversation's document as PostgreSQL has it: the compact state plus the update log, read in
 * one snapshot so a concurrent compaction cannot make a row vanish between the two reads. Returns
 * undefined when the conversation does not exist (deleted while someone was connecting).
 */
export async function loadConversationState(db: Knex, conversationId: string): Promise<LoadedConversationState | undefined> {
  const stored = await db.transaction(
    async (trx) => {
      const conversation = await trx('conversations').where({ id: conversationId }).first('id');
      if (!conversation) return undefined;
      const state = await trx('conversation_states').where({ conversation_id: conversationId }).first('state');
      const rows: Array<{ update: Buffer }> = await trx('conversation_updates').where({ conversation_id: conversationId }).orderBy('id').select('update');
      return { state: state?.state as Buffer | undefined, rows };
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
  if (!stored) return undefined;
  // Merged after the snapshot's transaction has ended: it holds nothing open while it works.
  const parts = [...(stored.state ? [stored.state] : []), ...stored.rows.map((row) => row.update)].map((part) => new Uint8Array(part));
  if (parts.length === 0) return { update: null, loggedUpdates: 0, skippedUpdates: 0 };
  const merged = await mergeIntoState(parts);
  return { update: merged.update, loggedUpdates: stored.rows.length, skippedUpdates: merged.skipped };
}
