import type { Knex } from 'knex';

/**
 * Image analyses.
 *
 * - `image_analyses` holds one row per analysed upload: who asked, the image's sha256 and the
 *   features asked for, where the original and its thumbnail are stored, and what was found (text,
 *   words, objects, description), which engine found each, and the cloud engines that failed first.
 * - Large images are analysed by the job queue: `status` goes pending → running → done | failed, with
 *   `progress` 0–1 meanwhile.
 * - The cache: a done row with the same sha256 and features answers a later upload of the same bytes
 *   without running an engine (the new row says `cached`).
 * - With a conversation, the image is also an attachment of it (`attachment_id`), so a message that
 *   carries the attachment can show the analysis.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('image_analyses', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.uuid('conversation_id').references('conversations.id').onDelete('SET NULL');
    t.uuid('attachment_id').references('attachments.id').onDelete('SET NULL');
    t.text('sha256').notNullable();
    t.specificType('features', 'text[]').notNullable();
    t.text('status').notNullable().checkIn(['pending', 'running', 'done', 'failed']);
    t.double('progress').notNullable().defaultTo(0);
    t.boolean('cached').notNullable().defaultTo(false);
    t.jsonb('metadata');
    t.text('thumbnail_key');
    t.text('text').notNullable().defaultTo('');
    t.jsonb('words').notNullable().defaultTo('[]');
    t.jsonb('objects').notNullable().defaultTo('[]');
    t.jsonb('labels').notNullable().defaultTo('[]');
    t.text('description').notNullable().defaultTo('');
    t.jsonb('engines').notNullable().defaultTo('{}');
    t.jsonb('fallbacks').notNullable().defaultTo('[]');
    t.jsonb('error');
    t.text('storage_key').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('completed_at', { useTz: true });
  });
  // The cache lookup: a finished analysis of these bytes for these features.
  await knex.raw("create index image_analyses_cache_index on image_analyses (sha256, features) where status = 'done'");
  await knex.raw('create index image_analyses_attachment_id_index on image_analyses (attachment_id) where attachment_id is not null');
  await knex.raw('create index image_analyses_conversation_id_index on image_analyses (conversation_id) where conversation_id is not null');
  await knex.raw('create index image_analyses_user_id_index on image_analyses (user_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('image_analyses');
}
