import type { Knex } from 'knex';

/**
 * Backups.
 *
 * - One row per backup, logical (pg_dump or PGlite's tarball, shared/backup) or physical (pgBackRest).
 * - `status` goes running → verifying → verified | failed; `deleted` once its object is removed. Only a
 *   verified backup is offered as the default restore point.
 * - `tables` holds what the backup recorded of every table (row count, sample checksum); `verification` what
 *   the last verification found; `progress` the last progress report while it runs.
 * - At most one backup of each kind runs at a time: a second one is refused by the database itself, so two
 *   processes cannot interleave backups.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('backups', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('kind').notNullable().checkIn(['logical', 'physical']);
    t.text('format').notNullable();
    t.text('status').notNullable().checkIn(['running', 'verifying', 'verified', 'failed', 'deleted']);
    t.text('storage_key').notNullable();
    t.bigInteger('bytes');
    t.text('sha256');
    t.boolean('encrypted').notNullable();
    t.jsonb('tables');
    t.jsonb('verification');
    t.jsonb('error');
    t.jsonb('progress');
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', { useTz: true });
    t.timestamp('verified_at', { useTz: true });
    t.uuid('created_by').references('users.id').onDelete('SET NULL');
  });
  await knex.raw("create unique index backups_one_running_per_kind on backups (kind) where status = 'running'");
  // The list (newest first) and the default restore point (the newest verified one).
  await knex.raw('create index backups_started_at_index on backups (started_at desc)');
  await knex.raw("create index backups_verified_index on backups (kind, started_at desc) where status = 'verified'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('backups');
}
