import type { Knex } from 'knex';

/**
 * Voice transcriptions.
 *
 * - `voice_transcriptions` holds every transcription a person asked for: its state (`pending` and
 *   `running` while the job queue works on a long recording, with `progress` 0..1), the transcript and its
 *   segments, which engine answered and which failed before it (`fallbacks`), and where the audio is kept.
 * - Results are looked up by the audio's sha256 and language, so the same bytes are not transcribed twice.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('voice_transcriptions', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.uuid('conversation_id').references('conversations.id').onDelete('SET NULL');
    t.uuid('attachment_id').references('attachments.id').onDelete('SET NULL');
    t.uuid('message_id').references('messages.id').onDelete('SET NULL');
    t.text('sha256').notNullable();
    t.text('language').notNullable();
    t.text('status').notNullable().checkIn(['pending', 'running', 'done', 'failed']);
    t.float('progress').notNullable().defaultTo(0);
    t.text('text').notNullable().defaultTo('');
    t.integer('duration_ms').notNullable().defaultTo(0);
    t.text('engine');
    t.jsonb('fallbacks').notNullable().defaultTo('[]');
    t.jsonb('segments').notNullable().defaultTo('[]');
    t.jsonb('error');
    t.boolean('cached').notNullable().defaultTo(false);
    t.text('storage_key');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('completed_at', { useTz: true });
    t.index(['user_id', 'created_at']);
  });
  // The cache: a finished transcription of the same bytes in the same language.
  await knex.raw(
    "create index voice_transcriptions_cache_index on voice_transcriptions (sha256, language, completed_at) where status = 'done'",
  );
  // Foreign keys need an index for ON DELETE; most transcriptions have none.
  await knex.raw(
    'create index voice_transcriptions_conversation_id_index on voice_transcriptions (conversation_id) where conversation_id is not null',
  );
  for (const column of ['attachment_id', 'message_id']) {
    await knex.raw(`create index voice_transcriptions_${column}_index on voice_transcriptions (${column}) where ${column} is not null`);
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('voice_transcriptions');
}
