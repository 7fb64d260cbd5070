import type { Knex } from 'knex';

/**
 * Where a conversation's collaborative document lives: one compact Yjs state per conversation, and an
 * append-only log of the edits acknowledged since that state was written. An edit reaches the log
 * before the collab server acknowledges it, so a node that dies loses nothing it acknowledged; storing
 * the document folds the log into the state and deletes the rows it covers.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('conversation_states', (t) => {
    t.uuid('conversation_id').primary().references('conversations.id').onDelete('CASCADE');
    // Y.encodeStateAsUpdate of the merged document: a snapshot, not a history.
    t.binary('state').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('conversation_updates', (t) => {
    t.bigIncrements('id');
    t.uuid('conversation_id').notNullable().references('conversations.id').onDelete('CASCADE');
    // One Yjs update as a client sent it.
    t.binary('update').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['conversation_id', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('conversation_updates');
  await knex.schema.dropTableIfExists('conversation_states');
}
