import type { Knex } from 'knex';

/**
 * When all of a user's sessions were last ended (a replayed refresh token). Access tokens are stateless
 * JWTs; both servers refuse the user's tokens issued before this moment, and a node that starts reads
 * the recent ones so a restart does not forget them.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.timestamp('sessions_revoked_at', { useTz: true }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('sessions_revoked_at');
  });
}
