import type { Knex } from 'knex';

/**
 * Session generations and message edit records.
 *
 * `users.session_generation` counts how many times every session of the user was ended. Access tokens
 * carry the generation they were issued in (`gen`), and both servers refuse a token of an older one: a
 * counter cannot overlap the way whole-second timestamps did, so signing in right after "sign out
 * everywhere" gives a token that works.
 *
 * `messages.edited_by` / `edited_at` say who last changed a message's text and when (the text before is
 * in audit_log); only a message's author may edit it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.integer('session_generation').notNullable().defaultTo(0);
  });
  await knex.schema.alterTable('messages', (t) => {
    t.uuid('edited_by').nullable().references('users.id').onDelete('SET NULL');
    t.timestamp('edited_at', { useTz: true }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('messages', (t) => {
    t.dropColumn('edited_at');
    t.dropColumn('edited_by');
  });
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('session_generation');
  });
}
