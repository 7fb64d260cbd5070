import type { Knex } from 'knex';

/**
 * Physical backups (pgBackRest) and point-in-time restores through the API.
 *
 * - `backups.physical`: what pgBackRest recorded of a physical backup (label, type, WAL range, LSNs, sizes) and
 *   the restore point made right after it, which its verification restores to and compares with `tables`.
 * - `restores.target_time`: a point-in-time restore's target. `restores.result`: what a restore found in what it
 *   restored (the scratch cluster's directory, the migrations check, every table's row count).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('backups', (t) => {
    t.jsonb('physical');
  });
  await knex.schema.alterTable('restores', (t) => {
    t.timestamp('target_time', { useTz: true });
    t.jsonb('result');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('restores', (t) => {
    t.dropColumn('result');
    t.dropColumn('target_time');
  });
  await knex.schema.alterTable('backups', (t) => {
    t.dropColumn('physical');
  });
}
