import type { Knex } from 'knex';

/** Accounts, sessions, conversations, messages and the audit trail. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('email').notNullable();
    t.text('name').notNullable();
    t.text('password_hash').notNullable();
    t.timestamps(true, true);
  });
  // Emails are unique whatever their case: Ann@x.io and ann@x.io are one account.
  await knex.raw('create unique index users_email_lower_unique on users (lower(email))');

  await knex.schema.createTable('refresh_tokens', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    // Every token minted from one login shares a family; a replayed token revokes the whole family.
    t.uuid('family_id').notNullable().index();
    // SHA-256 of the token: the token itself is never stored.
    t.text('token_hash').notNullable().unique();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('conversations', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    // Keyset-pagination order: strictly increasing, unlike timestamps that can tie.
    t.bigIncrements('seq', { primaryKey: false });
    t.uuid('owner_id').notNullable().references('users.id').onDelete('CASCADE');
    // The workspace capability adds the foreign key when it creates its table.
    t.uuid('workspace_id').index();
    t.text('title').notNullable();
    t.timestamps(true, true);
    t.index(['owner_id', 'seq']);
  });

  await knex.schema.createTable('messages', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.bigIncrements('seq', { primaryKey: false });
    t.uuid('conversation_id').notNullable().references('conversations.id').onDelete('CASCADE');
    t.uuid('author_id').references('users.id').onDelete('SET NULL');
    t.text('role').notNullable().checkIn(['user', 'assistant', 'system']);
    t.text('content').notNullable();
    t.timestamps(true, true);
    t.index(['conversation_id', 'seq']);
  });

  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id');
    t.uuid('actor_id');
    t.text('action').notNullable();
    t.text('subject_type');
    t.text('subject_id');
    t.text('ip');
    t.jsonb('data').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['subject_type', 'subject_id']);
    t.index(['actor_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['audit_log', 'messages', 'conversations', 'refresh_tokens', 'users']) {
    await knex.schema.dropTableIfExists(table);
  }
}
