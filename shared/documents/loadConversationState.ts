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
 * one statement — one snapshot, whatever the isolation level, so a concurrent compaction cannot make a
 * row vanish between two reads (the same holds inside a caller's transaction, as for a rename). Returns
 * undefined when the conversation does not exist (deleted while someone was connecting).
 */
export async function loadConversationState(db: Knex, conversationId: string): Promise<LoadedConversationState | undefined> {
  const conversation = await db('conversations').where({ id: conversationId }).first<{ id: string } | undefined>('id');
  if (!conversation) return undefined;
  const { rows } = await db.raw<{ rows: Array<{ logged: boolean; bytes: Buffer }> }>(
    `select false as logged, state as bytes, 0::bigint as id from conversation_states where conversation_id = ?
     union all
     select true, update, id from conversation_updates where conversation_id = ?
     order by logged, id`,
    [conversationId, conversationId],
  );
  // The state (if any) first, then the log in the order it was written.
  const parts = rows.map((row) => new Uint8Array(row.bytes));
  if (parts.length === 0) return { update: null, loggedUpdates: 0, skippedUpdates: 0 };
  const merged = await mergeIntoState(parts);
  return { update: merged.update, loggedUpdates: rows.filter((row) => row.logged).length, skippedUpdates: merged.skipped };
}
