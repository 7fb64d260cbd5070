import type { Knex } from 'knex';

/** `restores.target_lsn`: a point-in-time restore to a WAL position (`16/B374D848`), as pg_current_wal_lsn() prints it. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('restores', (t) => {
    t.text('target_lsn');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('restores', (t) => {
    t.dropColumn('target_lsn');
  });
}
