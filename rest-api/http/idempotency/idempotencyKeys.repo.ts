import type { Knex } from 'knex';

export interface IdempotencyKeyRow {
  principal: string;
  key: string;
  fingerprint: string;
  /**
   * `running` while the first request is served and nothing of it committed; `committed` once its work
   * committed (marked in the same transaction) but its answer is not recorded yet; `done` with the
   * answer; `answer_lost` when the work committed but the request ended without an answer to keep (the
   * database went away between the commit and the answer).
   */
  state: 'running' | 'committed' | 'done' | 'answer_lost';
  response_status: number | null;
  response_body: unknown;
  created_at: Date;
  locked_at: Date;
}

/** How long a key's answer is replayed. */
export const KEY_LIFETIME_HOURS = 24;

/**
 * Claims `key` for a request: true when this request is now the one serving it — the key is new, or
 * its previous use is past its lifetime, or a `running` claim was left older than `staleAfterSeconds`
 * by a node that died mid-request. One statement, so two concurrent requests never both claim it.
 */
export async function claimKey(
  db: Knex,
  claim: { principal: string; key: string; fingerprint: string; staleAfterSeconds: number },
): Promise<boolean> {
  const { rows } = await db.raw<{ rows: unknown[] }>(
    `insert into idempotency_keys (principal, key, fingerprint, state)
     values (:principal, :key, :fingerprint, 'running')
     on conflict (principal, key) do update
       set fingerprint = excluded.fingerprint, state = 'running', response_status = null, response_body = null,
           created_at = now(), locked_at = now()
       where idempotency_keys.created_at < now() - make_interval(hours => :lifetime)
          or (idempotency_keys.state = 'running' and idempotency_keys.locked_at < now() - make_interval(secs => :stale))
     returning 1`,
    { ...claim, lifetime: KEY_LIFETIME_HOURS, stale: claim.staleAfterSeconds },
  );
  return rows.length === 1;
}

export function findKey(db: Knex, principal: string, key: string): Promise<IdempotencyKeyRow | undefined> {
  return db<IdempotencyKeyRow>('idempotency_keys').where({ principal, key }).first();
}

/** Marks the key's work committed: called inside the request's own transaction (idempotentRequest.ts). */
export async function markCommitted(trx: Knex.Transaction, principal: string, key: string): Promise<void> {
  await trx('idempotency_keys').where({ principal, key, state: 'running' }).update({ state: 'committed' });
}

/** Records the answer the claiming request gave, for its repeats. */
export async function recordAnswer(db: Knex, principal: string, key: string, answer: { status: number; body: unknown }): Promise<void> {
  await db('idempotency_keys')
    .where({ principal, key })
    .whereIn('state', ['running', 'committed'])
    // jsonb takes the answer as JSON text: a top-level array would otherwise be sent as a Postgres array.
    .update({ state: 'done', response_status: answer.status, response_body: JSON.stringify(answer.body ?? null) });
}

/**
 * Settles a key whose request ended without an answer to keep: still `running` means nothing of it
 * committed, so the key is given back and a repeat runs it again; `committed` means its work is done
 * though the answer was lost, so a repeat is told so (`answer_lost`) and runs nothing.
 */
export async function settleUnansweredKey(db: Knex, principal: string, key: string): Promise<void> {
  // One statement: the row is either running or committed, and both cases are settled atomically.
  await db.raw(
    `with released as (delete from idempotency_keys where principal = :principal and key = :key and state = 'running' returning 1)
     update idempotency_keys set state = 'answer_lost' where principal = :principal and key = :key and state = 'committed'`,
    { principal, key },
  );
}

/** Deletes keys past their lifetime; returns how many. */
export function deleteExpiredKeys(db: Knex): Promise<number> {
  return db('idempotency_keys')
    .where('created_at', '<', db.raw('now() - make_interval(hours => ?)', [KEY_LIFETIME_HOURS]))
    .delete();
}
