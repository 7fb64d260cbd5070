import type { Knex } from 'knex';

export interface IdempotencyKeyRow {
  principal: string;
  key: string;
  fingerprint: string;
  state: 'running' | 'done';
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

/** Records the answer the claiming request gave, for its repeats. */
export async function recordAnswer(db: Knex, principal: string, key: string, answer: { status: number; body: unknown }): Promise<void> {
  await db('idempotency_keys')
    .where({ principal, key, state: 'running' })
    // jsonb takes the answer as JSON text: a top-level array would otherwise be sent as a Postgres array.
    .update({ state: 'done', response_status: answer.status, response_body: JSON.stringify(answer.body ?? null) });
}

/** Gives the key back: the request that claimed it failed, so a repeat may run it again. */
export async function releaseKey(db: Knex, principal: string, key: string): Promise<void> {
  await db('idempotency_keys').where({ principal, key, state: 'running' }).delete();
}

/** Deletes keys past their lifetime; returns how many. */
export function deleteExpiredKeys(db: Knex): Promise<number> {
  return db('idempotency_keys')
    .where('created_at', '<', db.raw('now() - make_interval(hours => ?)', [KEY_LIFETIME_HOURS]))
    .delete();
}
