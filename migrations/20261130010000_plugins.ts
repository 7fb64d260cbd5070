import type { Knex } from 'knex';

/**
 * Plugins.
 *
 * - `plugins`: one row per installed plugin (its manifest id), the verified package's manifest and the
 *   source of its bundled entry module. `permissions` is what the installed version asks for;
 *   `granted_permissions` what an operator consented to. A version that asks for more is installed
 *   disabled until an operator consents, so an update never widens what runs without a person agreeing.
 *   `is_default`: in the deployment's default set, offered in personal conversations.
 * - `workspace_plugins`: which plugins a workspace turned on for its conversations.
 * - `plugin_storage`: a plugin's key-value store, scoped to (plugin, user): one user's data is never
 *   another's, and one plugin never reads another's. Value and total sizes are capped by the host.
 * - `plugin_invocations`: every tool call and how it ended (`ok` or the runtime's error code).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('plugins', (t) => {
    t.text('id').primary();
    t.text('name').notNullable();
    t.text('version').notNullable();
    t.text('publisher').notNullable();
    t.text('description').notNullable();
    t.jsonb('manifest').notNullable();
    t.text('source').notNullable();
    t.text('signature_level').notNullable().checkIn(['signed', 'unsigned', 'untrusted']);
    t.text('key_id');
    t.jsonb('permissions').notNullable();
    t.jsonb('granted_permissions').notNullable();
    t.boolean('enabled').notNullable().defaultTo(true);
    t.boolean('is_default').notNullable().defaultTo(false);
    t.uuid('installed_by').references('users.id').onDelete('SET NULL');
    t.timestamp('installed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('workspace_plugins', (t) => {
    t.uuid('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.text('plugin_id').notNullable().references('plugins.id').onDelete('CASCADE');
    t.boolean('enabled').notNullable().defaultTo(true);
    t.primary(['workspace_id', 'plugin_id']);
    // Uninstalling deletes by plugin.
    t.index(['plugin_id']);
  });

  await knex.schema.createTable('plugin_storage', (t) => {
    t.text('plugin_id').notNullable().references('plugins.id').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('key').notNullable();
    t.jsonb('value').notNullable();
    // Bytes of the value's JSON, summed for the per-(plugin, user) cap without reading the values.
    t.integer('size').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['plugin_id', 'user_id', 'key']);
    t.index(['user_id']);
  });

  await knex.schema.createTable('plugin_invocations', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('plugin_id').notNullable().references('plugins.id').onDelete('CASCADE');
    t.text('tool').notNullable();
    t.uuid('user_id').references('users.id').onDelete('SET NULL');
    t.uuid('conversation_id').references('conversations.id').onDelete('SET NULL');
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.integer('duration_ms').notNullable();
    t.text('outcome').notNullable();
    t.text('error_message');
    t.boolean('cold_start').notNullable().defaultTo(false);
    // Operators read a plugin's recent calls, newest first.
    t.index(['plugin_id', 'started_at']);
    t.index(['user_id']);
  });
  await knex.raw(
    'create index plugin_invocations_conversation_id_index on plugin_invocations (conversation_id) where conversation_id is not null',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('plugin_invocations');
  await knex.schema.dropTable('plugin_storage');
  await knex.schema.dropTable('workspace_plugins');
  await knex.schema.dropTable('plugins');
}
