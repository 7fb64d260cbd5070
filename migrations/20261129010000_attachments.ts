import type { Knex } from 'knex';

/**
 * Files on messages. The bytes live in object storage under `storage_key`; a row exists only while
 * its object does (written after the upload, deleted with the conversation before its objects).
 * An attachment is uploaded to a conversation first and joins a message when the message is posted.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('attachments', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('conversation_id').notNullable().references('conversations.id').onDelete('CASCADE');
    t.uuid('message_id').references('messages.id').onDelete('SET NULL');
    t.uuid('uploaded_by').references('users.id').onDelete('SET NULL');
    // The client's file name, sanitized: shown, never used as a path or key.
    t.text('name').notNullable();
    // Sniffed from the bytes at upload, never taken from the client.
    t.text('content_type').notNullable();
    t.bigInteger('size').notNullable();
    t.text('sha256').notNullable();
    t.text('storage_key').notNullable().unique();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['conversation_id']);
    t.index(['message_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('attachments');
}
