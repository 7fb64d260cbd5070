import type { Knex } from 'knex';

/**
 * Code execution.
 *
 * - `code_executions` records every run: who, which language on which backend, the sha256 of the code,
 *   how it ended. The code, stdin-free, and its output are kept only for CODE_EXEC_RETENTION_DAYS:
 *   `purged_at` says they were cleared, and the rest of the record stays (usage, abuse review).
 * - A run posted to a conversation becomes a `tool` message whose `execution` (jsonb) holds the run as
 *   the room sees it: code, output, exit, the limit that stopped it. Only the product's code runner
 *   posts `tool` messages; no principal may through the messages API.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('code_executions', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    // Keyset-pagination order, as for conversations.
    t.bigIncrements('seq', { primaryKey: false });
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.uuid('conversation_id').references('conversations.id').onDelete('SET NULL');
    t.uuid('message_id').references('messages.id').onDelete('SET NULL');
    t.text('language').notNullable();
    t.text('backend').notNullable();
    t.text('code_sha256').notNullable();
    t.text('code');
    t.text('stdout');
    t.text('stderr');
    t.integer('exit_code');
    t.text('signal');
    t.integer('duration_ms').notNullable();
    t.text('limit').checkIn(['time', 'memory', 'output', 'processes']);
    t.boolean('truncated_stdout').notNullable().defaultTo(false);
    t.boolean('truncated_stderr').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('purged_at', { useTz: true });
    t.index(['user_id', 'seq']);
  });
  // The retention sweep looks only at rows that still hold content.
  await knex.raw('create index code_executions_unpurged_created_at_index on code_executions (created_at) where purged_at is null');
  // The conversation's foreign key needs an index for ON DELETE; most runs have none.
  await knex.raw(
    'create index code_executions_conversation_id_index on code_executions (conversation_id) where conversation_id is not null',
  );

  await knex.raw('alter table messages drop constraint if exists messages_role_check');
  await knex.raw("alter table messages add constraint messages_role_check check (role in ('user', 'assistant', 'system', 'tool'))");
  await knex.schema.alterTable('messages', (t) => t.jsonb('execution'));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('messages', (t) => t.dropColumn('execution'));
  await knex('messages').where({ role: 'tool' }).delete();
  await knex.raw('alter table messages drop constraint if exists messages_role_check');
  await knex.raw("alter table messages add constraint messages_role_check check (role in ('user', 'assistant', 'system'))");
  await knex.schema.dropTable('code_executions');
}
