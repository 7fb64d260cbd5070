import type { Knex } from 'knex';

/** Share links, team workspaces with roles and invitations, and the outbox for email with no SMTP server. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('workspaces', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('name').notNullable();
    t.text('slug').notNullable().unique();
    // Restrict: an account that owns a workspace must hand it over (or delete it) before it can go.
    t.uuid('owner_id').notNullable().references('users.id').onDelete('RESTRICT');
    t.timestamps(true, true);
  });

  await knex.schema.createTable('workspace_members', (t) => {
    t.uuid('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    // Rights are derived from the role in code (shared/access/workspace.ts), never stored per row.
    t.text('role').notNullable().checkIn(['admin', 'member', 'viewer']);
    t.timestamps(true, true);
    t.primary(['workspace_id', 'user_id']);
    t.index(['user_id']);
  });

  await knex.schema.createTable('workspace_invitations', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.text('email').notNullable();
    t.text('role').notNullable().checkIn(['admin', 'member', 'viewer']);
    // SHA-256 of the emailed token; the token itself exists only in the email.
    t.text('token_hash').notNullable().unique();
    t.uuid('invited_by').references('users.id').onDelete('SET NULL');
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('accepted_at', { useTz: true });
    t.uuid('accepted_by').references('users.id').onDelete('SET NULL');
    t.timestamp('revoked_at', { useTz: true });
    t.timestamps(true, true);
  });
  // One open invitation per address and workspace: inviting again is a resend, not a second token.
  await knex.raw(`create unique index workspace_invitations_open_unique on workspace_invitations (workspace_id, lower(email))
    where accepted_at is null and revoked_at is null`);

  await knex.schema.alterTable('conversations', (t) => {
    t.foreign('workspace_id').references('workspaces.id').onDelete('CASCADE');
  });

  await knex.schema.createTable('shares', (t) => {
    // The id is the capability: 144 bits from the CSPRNG, so it cannot be guessed or enumerated.
    t.text('id').primary();
    t.uuid('conversation_id').notNullable().references('conversations.id').onDelete('CASCADE');
    t.uuid('created_by').references('users.id').onDelete('SET NULL');
    t.text('permission').notNullable().checkIn(['read', 'comment', 'edit']);
    t.text('password_hash');
    t.timestamp('expires_at', { useTz: true });
    t.integer('max_views');
    t.integer('view_count').notNullable().defaultTo(0);
    t.timestamp('revoked_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['conversation_id']);
  });

  await knex.schema.createTable('email_outbox', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('to').notNullable();
    t.text('subject').notNullable();
    t.text('text').notNullable();
    t.text('html');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('email_outbox');
  await knex.schema.dropTableIfExists('shares');
  await knex.schema.alterTable('conversations', (t) => t.dropForeign(['workspace_id']));
  for (const table of ['workspace_invitations', 'workspace_members', 'workspaces']) await knex.schema.dropTableIfExists(table);
}
