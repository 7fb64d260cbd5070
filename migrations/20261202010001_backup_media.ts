import type { Knex } from 'knex';

/**
 * Attachments and media in the backup set.
 *
 * - `backups.media`: the manifest of the objects the backed-up database references (key, size, SHA-256), what was
 *   missing already, and what was copied to the backup target store (BACKUP_STORAGE_DIR / BACKUP_S3_BUCKET).
 * - `restores.media`: after a restore, the manifest's objects that storage does not hold (rows pointing at nothing).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('backups', (t) => {
    t.jsonb('media');
  });
  await knex.schema.alterTable('restores', (t) => {
    t.jsonb('media');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('restores', (t) => {
    t.dropColumn('media');
  });
  await knex.schema.alterTable('backups', (t) => {
    t.dropColumn('media');
  });
}
