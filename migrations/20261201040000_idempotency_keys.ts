import type { Knex } from 'knex';

/**
 * Idempotency keys (the `Idempotency-Key` header on POST requests).
 *
 * - One row per caller and key: who asked (`principal`, e.g. `user:<id>` or `service:<id>`), the key,
 *   a fingerprint of the request it first came with, and — once that request succeeded — the answer
 *   to give every repeat of it for 24 hours.
 * - `state` is `running` while the first request is being served (a repeat meanwhile is told to wait)
 *   and `done` once its answer is recorded. A request that fails records nothing: its row is removed,
 *   so the same key may try again.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('idempotency_keys', (t) => {
    t.text('principal').notNullable();
    t.text('key').notNullable();
    t.text('fingerprint').notNullable();
    t.text('state').notNullable().checkIn(['running', 'done']);
    t.integer('response_status');
    t.jsonb('response_body');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('locked_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['principal', 'key']);
    // The hourly sweep deletes by age.
    t.index(['created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('idempotency_keys');
}
