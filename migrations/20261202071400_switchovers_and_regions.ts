import type { Knex } from 'knex';

/**
 * A planned switchover's milestones on its `failover_events` row (reason `switchover`): `fenced_at`, when the
 * monitor had the old primary stop taking writes, and `promoted_at`, when it reported the new one primary.
 * `regions`: each region's latest health and role as the REST nodes' checkers saw it; `health_checks`: the
 * history of those checks, one row per region, component and round (pruned to a bounded age).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('failover_events', (t) => {
    t.timestamp('fenced_at', { useTz: true });
    t.timestamp('promoted_at', { useTz: true });
  });
  await knex.schema.createTable('regions', (t) => {
    t.text('name').primary();
    t.text('api_url').notNullable();
    t.text('collab_url').notNullable();
    t.text('database_host');
    t.text('role').notNullable();
    t.text('status').notNullable();
    t.timestamp('last_checked_at', { useTz: true }).notNullable();
  });
  await knex.schema.createTable('health_checks', (t) => {
    t.bigIncrements('id');
    t.text('region').notNullable();
    t.text('component').notNullable();
    t.boolean('ok').notNullable();
    t.integer('latency_ms').notNullable();
    t.text('detail').notNullable();
    t.text('checked_by').notNullable();
    t.timestamp('checked_at', { useTz: true }).notNullable();
    t.index(['checked_at']);
    t.index(['region', 'checked_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('health_checks');
  await knex.schema.dropTable('regions');
  await knex.schema.alterTable('failover_events', (t) => {
    t.dropColumn('fenced_at');
    t.dropColumn('promoted_at');
  });
}
