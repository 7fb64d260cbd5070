import type { Knex } from 'knex';

/**
 * Service accounts: the principals behind API keys (`Bearer twk_…`), through which the product's AI
 * backend posts `assistant` and `system` messages.
 *
 * - `service_accounts.key_hash` is SHA-256 of the key (256 random bits): the key itself is never stored;
 *   `key_prefix` (its first characters) is what lists show so an operator can tell keys apart.
 * - The scope — the workspaces and conversations a key may act in — is two join tables rather than
 *   uuid arrays: foreign keys drop an entry with the workspace or conversation it names, ids that name
 *   nothing cannot be stored, and "which keys reach this workspace" is an index lookup.
 * - `messages.service_account_id` records which account posted a message (people's keep `author_id`;
 *   never both). Accounts are revoked, not deleted, so the message keeps naming its poster.
 * - `audit_log.actor_type` says what `actor_id` names, now that it may be a service account.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('service_accounts', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    // Keyset-pagination order, as for conversations.
    t.bigIncrements('seq', { primaryKey: false });
    t.text('name').notNullable();
    t.text('key_prefix').notNullable();
    t.text('key_hash').notNullable().unique();
    // The operator who created it; kept when that account goes (the audit log names them too).
    t.uuid('created_by').references('users.id').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // Written at most once a minute (rest-api/modules/serviceAccounts/ServiceAccountKeys.ts).
    t.timestamp('last_used_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
  });

  await knex.schema.createTable('service_account_workspaces', (t) => {
    t.uuid('service_account_id').notNullable().references('service_accounts.id').onDelete('CASCADE');
    t.uuid('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE').index();
    t.primary(['service_account_id', 'workspace_id']);
  });

  await knex.schema.createTable('service_account_conversations', (t) => {
    t.uuid('service_account_id').notNullable().references('service_accounts.id').onDelete('CASCADE');
    t.uuid('conversation_id').notNullable().references('conversations.id').onDelete('CASCADE').index();
    t.primary(['service_account_id', 'conversation_id']);
  });

  await knex.schema.alterTable('messages', (t) => {
    t.uuid('service_account_id').nullable().references('service_accounts.id').onDelete('SET NULL');
  });
  // A message is a person's or a service account's, never both.
  await knex.raw('alter table messages add constraint messages_one_poster check (author_id is null or service_account_id is null)');
  // Most messages are people's: index only the others (the foreign key's ON DELETE needs one).
  await knex.raw('create index messages_service_account_id_index on messages (service_account_id) where service_account_id is not null');

  await knex.schema.alterTable('audit_log', (t) => {
    t.text('actor_type').notNullable().defaultTo('user').checkIn(['user', 'service_account']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_log', (t) => t.dropColumn('actor_type'));
  await knex.raw('alter table messages drop constraint if exists messages_one_poster');
  await knex.schema.alterTable('messages', (t) => t.dropColumn('service_account_id'));
  for (const table of ['service_account_conversations', 'service_account_workspaces', 'service_accounts']) {
    await knex.schema.dropTableIfExists(table);
  }
}
