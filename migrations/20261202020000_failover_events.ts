import type { Knex } from 'knex';

/**
 * `failover_events`: one row each time a server process lost the database primary and found the
 * writable server again (shared/failover/recordFailovers.ts). Every process that lived through a
 * failover writes its own row (`reported_by`), so the rows of one failover show how long each process's
 * write gap was: from `detected_at` (its pool lost the primary) to `resolved_at` (a writable server found)
 * and `first_write_at` (this row, its first write on the new primary, committed).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('failover_events', (t) => {
    t.bigIncrements('id');
    t.text('old_primary').notNullable();
    t.text('new_primary').notNullable();
    t.text('reason').notNullable();
    t.text('reported_by').notNullable();
    t.timestamp('detected_at', { useTz: true }).notNullable();
    t.timestamp('resolved_at', { useTz: true }).notNullable();
    t.timestamp('first_write_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['detected_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('failover_events');
}
