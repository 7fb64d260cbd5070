import type { Knex } from 'knex';

/**
 * Restores of backups, and the one-time tokens that confirm an in-place restore.
 *
 * - `restores`: one row per restore, `pending` → `running` → `succeeded` | `failed`. `target` is `scratch` (a new
 *   database, `database_name`) or `in-place` (the live database). `forced_reason` is set when an operator restored a
 *   backup that had not verified.
 * - `restore_confirmations`: an in-place restore is asked twice. The first ask stores the SHA-256 of a token bound to
 *   the backup and the operator, short-lived; the second spends it. Only hashes are stored.
 * - Whether the API is read-only is not a row: it is a PostgreSQL advisory lock the restoring session holds, so it
 *   survives the restore rewriting every table and ends with that session, whatever happens to its process.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('restores', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    // No foreign key: an in-place restore rewrites `backups`, and the trail of a restore outlives its backup's row.
    t.uuid('backup_id').notNullable();
    t.text('target').notNullable().checkIn(['scratch', 'in-place']);
    t.text('status').notNullable().checkIn(['pending', 'running', 'succeeded', 'failed']);
    t.text('database_name');
    t.text('forced_reason');
    t.jsonb('progress');
    t.jsonb('error');
    t.uuid('created_by');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', { useTz: true });
  });
  await knex.schema.createTable('restore_confirmations', (t) => {
    t.text('token_hash').primary();
    t.uuid('backup_id').notNullable();
    t.uuid('operator_id').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('restore_confirmations');
  await knex.schema.dropTable('restores');
}
