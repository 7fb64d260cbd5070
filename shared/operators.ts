import type { Knex } from 'knex';
import { writeAudit } from './audit.ts';
import type { Logger } from './logger.ts';

/** Who changed an operator grant: the ops CLI or OPERATOR_EMAILS at start. Kept in the audit row. */
export type OperatorGrantSource = 'cli' | 'OPERATOR_EMAILS';

/** What a grant or revocation did: `changed` is false when the account already stood that way. */
export type OperatorChange = { outcome: 'changed' | 'unchanged'; userId: string } | { outcome: 'no_account' };

/**
 * True when the user holds the deployment-wide operator role. Read from the database on every call,
 * never from the access token: a revocation holds from the next request on, not 15 minutes later.
 * One primary-key lookup, on routes only operators use, so there is nothing worth caching.
 */
export async function isOperator(db: Knex, userId: string): Promise<boolean> {
  return (await db('operators').where({ user_id: userId }).first('user_id')) !== undefined;
}

/** Makes the account with this email (any letter case) an operator, with an audit row when that changes anything. */
export async function grantOperator(db: Knex, email: string, source: OperatorGrantSource): Promise<OperatorChange> {
  return db.transaction(async (trx) => {
    const user = await findUserByEmail(trx, email);
    if (!user) return { outcome: 'no_account' };
    const inserted = await trx('operators').insert({ user_id: user.id }).onConflict('user_id').ignore().returning('user_id');
    if (inserted.length === 0) return { outcome: 'unchanged', userId: user.id };
    await writeAudit(trx, {
      actorId: null,
      action: 'operator.granted',
      subjectType: 'user',
      subjectId: user.id,
      data: { email: user.email, source },
    });
    return { outcome: 'changed', userId: user.id };
  });
}

/** Takes the operator role from the account with this email, with an audit row when it had it. */
export async function revokeOperator(db: Knex, email: string, source: OperatorGrantSource): Promise<OperatorChange> {
  return db.transaction(async (trx) => {
    const user = await findUserByEmail(trx, email);
    if (!user) return { outcome: 'no_account' };
    const deleted = await trx('operators').where({ user_id: user.id }).delete();
    if (deleted === 0) return { outcome: 'unchanged', userId: user.id };
    await writeAudit(trx, {
      actorId: null,
      action: 'operator.revoked',
      subjectType: 'user',
      subjectId: user.id,
      data: { email: user.email, source },
    });
    return { outcome: 'changed', userId: user.id };
  });
}

/** Every operator's id and email, by email. */
export function listOperators(db: Knex): Promise<Array<{ id: string; email: string; granted_at: Date }>> {
  return db('operators')
    .join('users', 'users.id', 'operators.user_id')
    .orderByRaw('lower(users.email)')
    .select('users.id', 'users.email', 'operators.granted_at');
}

/**
 * Grants OPERATOR_EMAILS at start. An address with no account yet is logged and skipped: it becomes
 * an operator at the first start after the account exists (or at once with `npm run ops`).
 */
export async function grantConfiguredOperators(db: Knex, emails: readonly string[], log: Logger): Promise<void> {
  for (const email of emails) {
    const change = await grantOperator(db, email, 'OPERATOR_EMAILS');
    if (change.outcome === 'no_account') log.warn({ email }, 'OPERATOR_EMAILS names an address with no account yet; not granted');
    else if (change.outcome === 'changed') log.info({ userId: change.userId }, 'operator granted from OPERATOR_EMAILS');
  }
}

function findUserByEmail(db: Knex, email: string): Promise<{ id: string; email: string } | undefined> {
  return db('users').whereRaw('lower(email) = lower(?)', [email]).first('id', 'email');
}
