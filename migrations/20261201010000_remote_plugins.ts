import type { Knex } from 'knex';

/**
 * Remote MCP servers as plugins.
 *
 * - `plugins.kind`: `package` (a signed package run in isolates, as before) or `remote` (an MCP server an
 *   operator registered by URL; its tools run there, not here).
 * - `remote_url`: where the server answers (one row per URL). `remote_headers`: the headers sent with
 *   every request (an API key, say), sealed with AES-256-GCM under a key derived from the deployment's
 *   JWT secret; no API answer and no log line ever carries them.
 * - `source` is null for remote plugins (there is no entry module), and `signature_level` gains `remote`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('plugins', (t) => {
    t.text('kind').notNullable().defaultTo('package');
    t.text('remote_url');
    t.text('remote_headers');
    t.setNullable('source');
  });
  await knex.raw('alter table plugins drop constraint plugins_signature_level_check');
  await knex.raw(`alter table plugins add constraint plugins_signature_level_check
    check (signature_level in ('signed', 'unsigned', 'untrusted', 'remote'))`);
  // A row is one kind or the other, whole: a package has its source, a remote server its URL and level.
  await knex.raw(`alter table plugins add constraint plugins_kind_check check (
    (kind = 'package' and source is not null and remote_url is null and remote_headers is null and signature_level <> 'remote')
    or (kind = 'remote' and source is null and remote_url is not null and signature_level = 'remote'))`);
  // Registering the same URL again updates its row rather than adding another.
  await knex.raw('create unique index plugins_remote_url_unique on plugins (remote_url) where remote_url is not null');
}

export async function down(knex: Knex): Promise<void> {
  // Remote rows cannot exist without these columns; their invocations and settings cascade.
  await knex('plugins').where({ kind: 'remote' }).delete();
  await knex.raw('drop index plugins_remote_url_unique');
  await knex.raw('alter table plugins drop constraint plugins_kind_check');
  await knex.raw('alter table plugins drop constraint plugins_signature_level_check');
  await knex.raw(`alter table plugins add constraint plugins_signature_level_check
    check (signature_level in ('signed', 'unsigned', 'untrusted'))`);
  await knex.schema.alterTable('plugins', (t) => {
    t.dropNullable('source');
    t.dropColumn('remote_headers');
    t.dropColumn('remote_url');
    t.dropColumn('kind');
  });
}
