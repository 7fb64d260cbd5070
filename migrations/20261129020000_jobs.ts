import type { Knex } from 'knex';

/**
 * Background jobs and the deployment-wide operator role. The queue itself lives in pg-boss's own
 * schema (`pgboss`), which pg-boss installs and migrates when it starts; these are the product's
 * tables around it.
 */
export async function up(knex: Knex): Promise<void> {
  // pg-boss has no progress API; a handler's progress is kept here, one row per job, last write wins.
  await knex.schema.createTable('job_progress', (t) => {
    t.uuid('job_id').primary();
    t.text('queue').notNullable();
    t.smallint('percent');
    t.text('message');
    // Which attempt wrote it (pg-boss's retry count), so a reader can tell a retry starting over.
    t.integer('attempt').notNullable().defaultTo(0);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['updated_at']);
  });
  await knex.raw('alter table job_progress add constraint job_progress_percent_range check (percent between 0 and 100)');

  // A deployment-wide role, apart from workspace roles: a row here makes the user an operator.
  await knex.schema.createTable('operators', (t) => {
    t.uuid('user_id').primary().references('users.id').onDelete('CASCADE');
    t.timestamp('granted_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  // Every email now passes through the outbox: `held` waits for an SMTP server (the embedded default),
  // `queued` has an email.send job, `sent` and `failed` are final. Rows written before this were held.
  await knex.schema.alterTable('email_outbox', (t) => {
    t.text('status').notNullable().defaultTo('held').checkIn(['held', 'queued', 'sent', 'failed']);
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('last_error');
    t.timestamp('sent_at', { useTz: true });
    t.index(['status', 'created_at']);
  });
  // The invitation's latest email, so its delivery status can be shown with it.
  await knex.schema.alterTable('workspace_invitations', (t) => {
    t.uuid('email_outbox_id').references('email_outbox.id').onDelete('SET NULL');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('workspace_invitations', (t) => t.dropColumn('email_outbox_id'));
  await knex.schema.alterTable('email_outbox', (t) => {
    t.dropIndex(['status', 'created_at']);
    for (const column of ['status', 'attempts', 'last_error', 'sent_at']) t.dropColumn(column);
  });
  await knex.schema.dropTableIfExists('operators');
  await knex.schema.dropTableIfExists('job_progress');
}
