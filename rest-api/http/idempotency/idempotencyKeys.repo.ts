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
  /** When the claim was made or last renewed: a `running` claim not renewed for a lease may be taken over. */
  locked_at: Date;
  /** Drawn anew by each claim; the claimant commits, renews and answers only where the row still has its own. */
  claim_id: string;
}

/** How long a key's answer is replayed. */
export const KEY_LIFETIME_HOURS = 24;

/**
 * Claims `key` for a request and returns the claim's new id, or undefined when another request holds
 * the key: it is claimed when it is new, or its previous use is past its lifetime, or a `running` claim
 * was not renewed for `leaseSeconds` (its node died mid-request). One statement, so two concurrent
 * requests never both claim it; and one that waits on the row lock of a claimant committing its work
 * sees the key `committed`, not free.
 */
export async function claimKey(
  db: Knex,
  claim: { principal: string; key: string; fingerprint: string; leaseSeconds: number },
): Promise<string | undefined> {
  const { rows } = await db.raw<{ rows: Array<{ claim_id: string }> }>(
    `insert into idempotency_keys (principal, key, fingerprint, state)
     values (:principal, :key, :fingerprint, 'running')
     on conflict (principal, key) do update
       set fingerprint = excluded.fingerprint, state = 'running', response_status = null, response_body = null,
           created_at = now(), locked_at = now(), claim_id = gen_random_uuid()
       where idempotency_keys.created_at < now() - make_interval(hours => :lifetime)
          or (idempotency_keys.state = 'running' and idempotency_keys.locked_at < now() - make_interval(secs => :lease))
     returning claim_id`,
    { ...claim, lifetime: KEY_LIFETIME_HOURS, lease: claim.leaseSeconds },
  );
  return rows[0]?.claim_id;
}

/** The key's row, and whether its claim went unrenewed for `leaseSeconds` (by the database's clock, as claimKey judges). */
export function findKey(
  db: Knex,
  principal: string,
  key: string,
  leaseSeconds: number,
): Promise<(IdempotencyKeyRow & { is_lapsed: boolean }) | undefined> {
  return db('idempotency_keys')
    .where({ principal, key })
    .first('*', db.raw('locked_at < now() - make_interval(secs => ?) as is_lapsed', [leaseSeconds]));
}

/**
 * Renews a claim's lease while its request runs (or has committed and is still answering); false once
 * the row is no longer this claim's: answered, settled, or taken over after the lease ran out.
 */
export async function renewClaim(db: Knex, principal: string, key: string, claimId: string): Promise<boolean> {
  const renewed = await db('idempotency_keys')
    .where({ principal, key, claim_id: claimId })
    .whereIn('state', ['running', 'committed'])
    .update({ locked_at: db.fn.now() });
  return renewed === 1;
}

/**
 * Marks the key's work committed: called inside the request's own transaction (idempotentRequest.ts).
 * False when the row is not this claim's any more — its lease ran out and another request took the key
 * (or it was given back): the caller must then roll its transaction back.
 */
export async function markCommitted(trx: Knex.Transaction, principal: string, key: string, claimId: string): Promise<boolean> {
  const marked = await trx('idempotency_keys')
    .where({ principal, key, claim_id: claimId, state: 'running' })
    .update({ state: 'committed', locked_at: trx.fn.now() });
  return marked === 1;
}

/** Records the answer the claiming request gave, for its repeats; a claim that was taken over records nothing. */
export async function recordAnswer(
  db: Knex,
  principal: string,
  key: string,
  claimId: string,
  answer: { status: number; body: unknown },
): Promise<void> {
  await db('idempotency_keys')
    .where({ principal, key, claim_id: claimId })
    .whereIn('state', ['running', 'committed'])
    // jsonb takes the answer as JSON text: a top-level array would otherwise be sent as a Postgres array.
    .update({ state: 'done', response_status: answer.status, response_body: JSON.stringify(answer.body ?? null) });
}

/**
 * Settles a key whose request ended without an answer to keep: still `running` means nothing of it
 * committed, so the key is given back and a repeat runs it again; `committed` means its work is done
 * though the answer was lost, so a repeat is told so (`answer_lost`) and runs nothing. Only this
 * claim's row: a claim that was taken over leaves the new claimant's alone.
 */
export async function settleUnansweredKey(db: Knex, principal: string, key: string, claimId: string): Promise<void> {
  // One statement: the row is either running or committed, and both cases are settled atomically.
  await db.raw(
    `with released as (
       delete from idempotency_keys where principal = :principal and key = :key and claim_id = :claimId and state = 'running'
       returning 1)
     update idempotency_keys set state = 'answer_lost'
      where principal = :principal and key = :key and claim_id = :claimId and state = 'committed'`,
    { principal, key, claimId },
  );
}

/** Deletes keys past their lifetime; returns how many. */
export function deleteExpiredKeys(db: Knex): Promise<number> {
  return db('idempotency_keys')
    .where('created_at', '<', db.raw('now() - make_interval(hours => ?)', [KEY_LIFETIME_HOURS]))
    .delete();
}
