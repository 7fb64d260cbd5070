import type { Knex } from 'knex';

/**
 * Idempotency keys learn two states (rest-api/http/idempotency/): `committed`, set inside the first
 * transaction of the request that claimed the key, so the database knows the work is done even when
 * the answer is lost to a failover; and `answer_lost`, when that request ended without an answer to
 * keep. A repeat of either runs nothing.
 */
const STATES = ['running', 'committed', 'done', 'answer_lost'];

export async function up(knex: Knex): Promise<void> {
  await replaceStateCheck(knex, STATES);
}

export async function down(knex: Knex): Promise<void> {
  await knex('idempotency_keys').whereIn('state', ['committed', 'answer_lost']).delete();
  await replaceStateCheck(knex, ['running', 'done']);
}

/** The check knex made for `checkIn` has a generated name: find it by what it checks. */
async function replaceStateCheck(knex: Knex, states: string[]): Promise<void> {
  const { rows } = await knex.raw<{ rows: Array<{ name: string }> }>(
    `select conname as name from pg_constraint
      where conrelid = 'idempotency_keys'::regclass and contype = 'c' and pg_get_constraintdef(oid) like '%state%'`,
  );
  for (const { name } of rows) await knex.raw('alter table idempotency_keys drop constraint ??', [name]);
  // DDL takes no bind parameters: the states are this file's own constants, quoted as literals.
  const list = states.map((state) => `'${state}'`).join(', ');
  await knex.raw(`alter table idempotency_keys add constraint idempotency_keys_state_check check (state in (${list}))`);
}
