import type { Knex } from 'knex';

/**
 * What other modules may read of the users table — an account's name and email, nothing else — so
 * that none of them needs to know its columns. Workspaces list members by email, which takes a join
 * in the same statement; `joinAccounts` is that join, owned here.
 */

/** The alias the joined account goes by, and the expression of its email as it is compared and sorted. */
export const ACCOUNT = { alias: 'account', emailKey: 'lower(account.email)' } as const;

/** An account's name and address, by id. */
export function findAccount(db: Knex, id: string): Promise<{ id: string; name: string; email: string } | undefined> {
  return db('users').where({ id }).first('id', 'name', 'email');
}

/** The account with this email, in any letter case. */
export function findAccountByEmail(db: Knex, email: string): Promise<{ id: string; name: string; email: string } | undefined> {
  return db('users').whereRaw('lower(email) = lower(?)', [email]).first('id', 'name', 'email');
}

/**
 * Joins each row's account (by `userIdColumn`) and selects its `name` and `email`; filter and sort by
 * `ACCOUNT.emailKey`. The unique index on lower(email) serves both.
 */
export function joinAccounts(query: Knex.QueryBuilder, userIdColumn: string): Knex.QueryBuilder {
  return query
    .join(`users as ${ACCOUNT.alias}`, `${ACCOUNT.alias}.id`, userIdColumn)
    .select(`${ACCOUNT.alias}.name`, `${ACCOUNT.alias}.email`);
}
