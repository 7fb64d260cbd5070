import type { Knex } from 'knex';

/**
 * Idempotency keys get a claim id (rest-api/http/idempotency/): each claim of a key draws a new one, and
 * the claiming request renews, commits and answers only where the row still carries its own. A claim
 * that a dead node left behind lapses after a short lease and is taken over; the id fences the old
 * claimant, should it still be alive, so it can neither commit its work nor touch the new claimant's row.
 * Rows claimed before this migration get an id of their own from the default.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('idempotency_keys', (t) => {
    t.uuid('claim_id').notNullable().defaultTo(knex.raw('gen_random_uuid()'));
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('idempotency_keys', (t) => {
    t.dropColumn('claim_id');
  });
}
